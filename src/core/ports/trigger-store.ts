import type { DeadLetter, TriggerRecord, TriggerSpec } from '../triggers/model.js';

/** A dead letter as the engine files it (replay false, time now). */
export type NewDeadLetter = Omit<DeadLetter, 'replay' | 'time'> & { time?: number };

/**
 * Where triggers, their durable cursors and their dead letters live: in the storage provider's own database,
 * so every instance sees the same triggers. Every implementation passes test/contract/trigger-store.contract.ts.
 *
 * Fencing: delivery of a trigger is claimed with `claim`, which bumps the trigger's epoch and returns it. Every
 * write of delivery state (`saveProgress`, `addDeadLetter`, `settleReplay`) passes that epoch and is refused
 * (false) once a later claim happened, so an instance that lost its lease (paused, partitioned) can never move
 * the cursor of the instance that took over.
 */
export interface TriggerStore {
  /** Creates the store's tables or collections if missing (idempotent; safe from many instances at once). */
  open(): Promise<void>;
  /** Adds a trigger with its cursor at `position`; false when one of that name exists. */
  create(spec: TriggerSpec, position: number, createdAt: number): Promise<boolean>;
  /** Replaces an existing trigger's spec, keeping its cursor and dead letters; false when there is none. */
  update(spec: TriggerSpec): Promise<boolean>;
  get(name: string): Promise<TriggerRecord | null>;
  /** Every trigger, by name (code point order). */
  list(): Promise<TriggerRecord[]>;
  /** Removes the trigger, its cursor and its dead letters; false when there was none. */
  delete(name: string): Promise<boolean>;
  /** A new fencing epoch for delivering this trigger (higher than every earlier one), or null when it is gone. */
  claim(name: string): Promise<number | null>;
  /**
   * Moves the cursor to `position` (never backwards) and records the oldest pending event's failure state;
   * false when `epoch` is no longer the trigger's latest claim or the trigger is gone.
   */
  saveProgress(
    name: string,
    epoch: number,
    progress: { position: number; lastError: string | null; attempts: number },
  ): Promise<boolean>;
  /** Files an event that exhausted its attempts (replacing an earlier letter of the same event); false as above. */
  addDeadLetter(name: string, epoch: number, letter: NewDeadLetter): Promise<boolean>;
  /** The trigger's dead letters by position, at most `limit`; with `replayOnly`, only those waiting for replay. */
  listDeadLetters(name: string, options: { limit: number; replayOnly?: boolean }): Promise<DeadLetter[]>;
  countDeadLetters(name: string): Promise<number>;
  /** Marks dead letters for replay (all of the trigger's when `eventIds` is null); how many were marked. */
  markReplay(name: string, eventIds: readonly string[] | null): Promise<number>;
  /**
   * A replayed dead letter's outcome: delivered removes it; failed keeps it (replay off) with the new attempts
   * and error. False when `epoch` is stale.
   */
  settleReplay(
    name: string,
    epoch: number,
    eventId: string,
    outcome: { delivered: true } | { delivered: false; attempts: number; lastError: string; time: number },
  ): Promise<boolean>;
}

/** A storage provider whose database can also hold triggers (every provider but those named in the README). */
export interface TriggerStoreSource {
  triggerStore(): TriggerStore;
}

export function hasTriggerStore(storage: object): storage is TriggerStoreSource {
  return typeof (storage as Partial<TriggerStoreSource>).triggerStore === 'function';
}
