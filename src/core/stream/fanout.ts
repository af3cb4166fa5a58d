import type { Outbox } from './outbox.js';

/** One stream subscriber as the fan-out sees it. */
export interface Subscriber<T> {
  outbox: Outbox<T>;
  matches(item: T): boolean;
  /** Members of one consumer group share a stream: each item reaches exactly one of them. */
  group: string | null;
}

/**
 * Routes items to local subscribers: every matching solo subscriber gets each item; each consumer group
 * gets it once, at the member picked round-robin, and only on the instance that wins the cluster-wide
 * claim for (group, item), so a group spread over many instances still sees each item exactly once.
 */
export class Fanout<T, S extends Subscriber<T> = Subscriber<T>> {
  private readonly solo = new Set<S>();
  private readonly groups = new Map<string, { members: S[]; turn: number }>();

  constructor(private readonly claim: (group: string, itemId: string) => Promise<boolean>) {}

  get size(): number {
    let n = this.solo.size;
    for (const group of this.groups.values()) n += group.members.length;
    return n;
  }

  /** Items waiting in all subscriber buffers (memory in use for streams). */
  get buffered(): number {
    let n = 0;
    for (const sub of this.all()) n += sub.outbox.size;
    return n;
  }

  *all(): Iterable<S> {
    yield* this.solo;
    for (const group of this.groups.values()) yield* group.members;
  }

  add(sub: S): void {
    if (sub.group === null) {
      this.solo.add(sub);
      return;
    }
    const group = this.groups.get(sub.group) ?? { members: [], turn: 0 };
    group.members.push(sub);
    this.groups.set(sub.group, group);
  }

  remove(sub: S): void {
    if (sub.group === null) {
      this.solo.delete(sub);
      return;
    }
    const group = this.groups.get(sub.group);
    if (!group) return;
    group.members = group.members.filter((m) => m !== sub);
    if (group.members.length === 0) this.groups.delete(sub.group);
  }

  /**
   * Delivers one item. `eligible` excludes subscribers that must not get it (e.g. still replaying, or
   * already given it); `delivered` hears of each subscriber that got it. A claim that fails (the bus is
   * down) rejects after the solo subscribers were served: the caller retries the item later, and must
   * use `delivered` and `eligible` to keep from giving it twice to those who already have it.
   */
  async dispatch(
    item: T,
    itemId: string,
    eligible: (sub: S) => boolean = () => true,
    delivered: (sub: S) => void = () => {},
  ): Promise<void> {
    for (const sub of this.solo) {
      if (eligible(sub) && sub.matches(item) && sub.outbox.offer(item)) delivered(sub);
    }
    if (this.groups.size === 0) return;
    for (const [name, group] of [...this.groups]) {
      const candidates = group.members.filter((m) => eligible(m) && m.matches(item));
      if (candidates.length === 0) continue;
      if (!(await this.claim(name, itemId))) continue;
      // A member whose buffer overflows is cut off; the item then goes to the next member in turn.
      for (let i = 0; i < candidates.length; i++) {
        const member = candidates[(group.turn + i) % candidates.length]!;
        if (member.outbox.offer(item)) {
          delivered(member);
          group.turn = (group.turn + i + 1) % Math.max(1, candidates.length);
          break;
        }
      }
    }
  }
}
