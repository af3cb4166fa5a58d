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

  /** The current members of one consumer group (none when the group has no member here). */
  members(group: string): readonly S[] {
    return this.groups.get(group)?.members ?? [];
  }

  /** Delivers one item to every subscriber: solo ones, then each group (see offerGroups). */
  async dispatch(
    item: T,
    itemId: string,
    eligible: (sub: S) => boolean = () => true,
    delivered: (sub: S) => void = () => {},
  ): Promise<void> {
    this.offerSolo(item, eligible, delivered);
    await this.offerGroups(item, itemId, eligible, delivered);
  }

  /**
   * Hands one item to every matching solo subscriber, synchronously. `eligible` excludes subscribers that
   * must not get it (e.g. still replaying, or already given it); `delivered` hears of each that got it.
   */
  offerSolo(item: T, eligible: (sub: S) => boolean, delivered: (sub: S) => void): void {
    for (const sub of this.solo) {
      if (eligible(sub) && sub.matches(item) && sub.outbox.offer(item)) delivered(sub);
    }
  }

  /**
   * Hands one item to each consumer group with an eligible member, once across the cluster. A group whose
   * claim fails (the bus is down) is reported to `claimFailed` and the others still get the item; without
   * `claimFailed` the failure rejects.
   */
  async offerGroups(
    item: T,
    itemId: string,
    eligible: (sub: S) => boolean,
    delivered: (sub: S) => void,
    claimFailed?: (group: string, err: unknown) => void,
  ): Promise<void> {
    for (const name of [...this.groups.keys()]) {
      try {
        await this.offerGroup(name, item, itemId, eligible, delivered);
      } catch (err) {
        if (!claimFailed) throw err;
        claimFailed(name, err);
      }
    }
  }

  /** Hands one item to one group, at the member in turn, if this instance wins its claim; rejects if the claim fails. */
  async offerGroup(
    name: string,
    item: T,
    itemId: string,
    eligible: (sub: S) => boolean,
    delivered: (sub: S) => void,
  ): Promise<void> {
    const group = this.groups.get(name);
    if (!group) return;
    const candidates = group.members.filter((m) => eligible(m) && m.matches(item));
    if (candidates.length === 0) return;
    if (!(await this.claim(name, itemId))) return;
    // A member whose buffer overflows (or who left meanwhile) is skipped: the item goes to the next in turn.
    for (let i = 0; i < candidates.length; i++) {
      const member = candidates[(group.turn + i) % candidates.length]!;
      if (member.outbox.offer(item)) {
        delivered(member);
        group.turn = (group.turn + i + 1) % Math.max(1, candidates.length);
        return;
      }
    }
  }
}
