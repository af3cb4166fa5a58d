import type { JsonObject } from '../core/model.js';

/**
 * What the main thread and a policy worker (opa-worker.ts) exchange. Decisions travel in shared memory, so
 * that when an evaluation runs too long and the worker is terminated, the decisions it had already made in
 * that batch are not lost, and the main thread knows which input was the slow one.
 */

/** The one decision stategate asks a policy for: `data.stategate.authz.allow`. */
export const ENTRYPOINT = 'stategate/authz/allow';

/** Inputs per message at most: the size of the shared decision array. */
export const MAX_BATCH = 64;

export const Decision = {
  /** `allow` is false or undefined (an empty result set). */
  deny: 0,
  /** `allow` is exactly `true`. */
  allow: 1,
  /** The evaluation threw (a conflict, a builtin error, out of memory…). */
  error: 2,
  /** `allow` has a value that is not a boolean: a policy bug. */
  notBoolean: 3,
  /** Still running after the timeout: the worker was terminated. */
  timeout: 4,
} as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

/** `workerData` of a policy worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  data: JsonObject;
  control: SharedArrayBuffer;
}

/** The worker's first message: the policy is loaded and has the entrypoint, or why not. */
export type WorkerReady = { ready: true } | { ready: false; error: string };

/** Main → worker: evaluate these inputs (JSON text), in order. */
export interface BatchRequest {
  batch: number;
  inputs: string[];
}

/** Worker → main: the batch is done; decisions are in the shared array, error messages here by index. */
export interface BatchDone {
  batch: number;
  errors: Record<number, string>;
}

/** Views of a worker's shared control memory. */
export function controlViews(control: SharedArrayBuffer) {
  return {
    /** [STARTED_AT]: Date.now() when the running evaluation began, 0 when idle; [DONE]: inputs of the batch done. */
    clock: new BigInt64Array(control, 0, 2),
    decisions: new Uint8Array(control, 16, MAX_BATCH),
  };
}
export const STARTED_AT = 0;
export const DONE = 1;
export const CONTROL_BYTES = 16 + MAX_BATCH;
