import type { Subscription } from '../api.js';
import { exhausted, StategateError } from '../errors.js';

/** Hears what happens to a subscriber's items (for metrics); every hook is optional. */
export interface OutboxObserver<T = unknown> {
  /** One item reached the reader (an event stream remembers its position, to say where to resume). */
  delivered?(item: T): void;
  /** The subscriber was cut off for a full buffer. */
  cutOff?(): void;
  /** Buffered items were discarded because the stream ended before the reader took them. */
  dropped?(items: number): void;
}

/**
 * One subscriber's bounded buffer, and the async iterator it reads from. Live items are `offer`ed and
 * never wait: when the buffer is full the subscriber is cut off with RESOURCE_EXHAUSTED and its buffer
 * dropped, so one slow reader costs bounded memory and slows nobody else. Replayed items are `put`,
 * which waits for room instead, because the replay reads the log at the reader's pace.
 */
export class Outbox<T> implements Subscription<T> {
  private items: T[] = [];
  private head = 0;
  private failure: StategateError | null = null;
  private closed = false;
  private reader: ((result: IteratorResult<T>) => void) | null = null;
  private readerFailed: ((err: unknown) => void) | null = null;
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void,
    private readonly observer: OutboxObserver<T> = {},
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Hands a live item over; false when the subscriber is closed or was just cut off for being full. */
  offer(item: T): boolean {
    if (this.closed) return false;
    if (this.deliver(item)) return true;
    if (this.size >= this.capacity) {
      this.observer.cutOff?.();
      this.observer.dropped?.(1); // the item that did not fit
      this.fail(exhausted(`subscriber buffer of ${this.capacity} items overflowed: resume from your last position`));
      return false;
    }
    this.items.push(item);
    return true;
  }

  /** Hands a replayed item over, waiting for room; false once the subscriber is closed. */
  async put(item: T): Promise<boolean> {
    while (!this.closed && this.size >= this.capacity) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.closed) return false;
    if (!this.deliver(item)) this.items.push(item);
    return true;
  }

  /** Resolves once at most `items` wait in the buffer (or the subscriber closed). */
  async drainTo(items: number): Promise<void> {
    while (!this.closed && this.size > items) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  /** Ends the stream with an error the reader sees after nothing else (buffered items are dropped). */
  fail(err: StategateError): void {
    if (this.closed) return;
    this.failure = err;
    this.discardBuffered();
    this.finish();
    if (this.readerFailed) {
      const reject = this.readerFailed;
      this.reader = null;
      this.readerFailed = null;
      reject(err);
    }
  }

  /** Ends the stream normally; the reader drains nothing more. */
  close(): void {
    if (this.closed) return;
    this.discardBuffered();
    this.finish();
    if (this.reader) {
      const resolve = this.reader;
      this.reader = null;
      this.readerFailed = null;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head]!;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.wakeOneWriter();
      this.observer.delivered?.(value);
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.reader = resolve;
      this.readerFailed = reject;
    });
  }

  /** Gives the item straight to a waiting reader, if there is one. */
  private deliver(item: T): boolean {
    if (!this.reader) return false;
    const resolve = this.reader;
    this.reader = null;
    this.readerFailed = null;
    this.observer.delivered?.(item);
    resolve({ value: item, done: false });
    return true;
  }

  private discardBuffered(): void {
    if (this.size > 0) this.observer.dropped?.(this.size);
    this.items = [];
    this.head = 0;
  }

  private wakeOneWriter(): void {
    this.roomWaiters.shift()?.();
  }

  private finish(): void {
    this.closed = true;
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.onClose();
  }
}

/**
 * An error for subscribers that are ended because the server is shutting down. An event stream names the
 * log position to resume after: its buffered events are dropped with it, and a stream opened without
 * `after` has no other way to learn where it started.
 */
export const shuttingDown = (resumeAfter?: number) =>
  new StategateError(
    'UNAVAILABLE',
    resumeAfter === undefined
      ? 'server is shutting down: reconnect and resume'
      : `server is shutting down: reconnect and resume after position ${resumeAfter}`,
  );
