/**
 * The log positions one worker has read but not finished, in order: the durable cursor may move only up to
 * just below the oldest unfinished one. Positions are added in increasing order (the log is read forwards).
 */
export class DeliveryWindow {
  private readonly open: number[] = [];
  private readonly finished = new Set<number>();
  private head = 0;

  /** Everything read so far is at or below this position. */
  constructor(private readAfter: number) {}

  get size(): number {
    return this.open.length - this.head;
  }

  get lastRead(): number {
    return this.readAfter;
  }

  /** A read event (matching or not); `done` for one the trigger does not deliver. */
  add(position: number, done: boolean): void {
    this.readAfter = position;
    if (done && this.size === 0) return;
    this.open.push(position);
    if (done) this.finished.add(position);
  }

  finish(position: number): void {
    this.finished.add(position);
  }

  /** The position the cursor may move to: every event at or below it is finished. */
  cursor(): number {
    while (this.head < this.open.length && this.finished.has(this.open[this.head]!)) {
      this.finished.delete(this.open[this.head]!);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.open.length) {
      this.open.splice(0, this.head);
      this.head = 0;
    }
    return this.size === 0 ? this.readAfter : this.open[this.head]! - 1;
  }
}
