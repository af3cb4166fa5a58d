import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import {
  type BatchDone,
  type BatchRequest,
  controlViews,
  Decision,
  DONE,
  ENTRYPOINT,
  STARTED_AT,
  type WorkerInit,
  type WorkerReady,
} from './opa-protocol.js';

/**
 * A policy worker thread: ONE loaded opa-wasm instance of one policy, evaluating batches of inputs in order.
 * It runs off the main thread so that a slow policy never stalls other requests; the main thread
 * terminates it when an evaluation outlives the timeout (opa-thread.ts).
 */

const port = parentPort!;
const { module, data, control } = workerData as WorkerInit;
const { clock, decisions } = controlViews(control);
const encoder = new TextEncoder();

function describe(err: unknown): string {
  // opa-wasm throws strings (opa_abort) as well as Errors.
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
  return (text ?? 'unknown error').slice(0, 300);
}

function decide(resultSet: unknown): Decision {
  if (!Array.isArray(resultSet) || resultSet.length === 0) return Decision.deny;
  const value = (resultSet[0] as { result?: unknown }).result;
  if (value === true) return Decision.allow;
  return value === false ? Decision.deny : Decision.notBoolean;
}

try {
  const policy = await loadPolicy(module);
  policy.setData(data);
  const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
  if (!entrypoints.includes(ENTRYPOINT)) {
    const has = entrypoints.length ? entrypoints.join(', ') : 'none';
    port.postMessage({ ready: false, error: `has no ${ENTRYPOINT} entrypoint (it has: ${has})` } satisfies WorkerReady);
  } else {
    port.on('message', ({ batch, inputs }: BatchRequest) => {
      const errors: Record<number, string> = {};
      Atomics.store(clock, DONE, 0n);
      for (const [i, json] of inputs.entries()) {
        Atomics.store(clock, STARTED_AT, BigInt(Date.now()));
        let decision: Decision;
        try {
          decision = decide(policy.evaluate(encoder.encode(json).buffer, ENTRYPOINT));
        } catch (err) {
          decision = Decision.error;
          errors[i] = describe(err);
        }
        Atomics.store(decisions, i, decision);
        Atomics.store(clock, DONE, BigInt(i + 1));
      }
      Atomics.store(clock, STARTED_AT, 0n);
      port.postMessage({ batch, errors } satisfies BatchDone);
    });
    port.postMessage({ ready: true } satisfies WorkerReady);
  }
} catch (err) {
  port.postMessage({ ready: false, error: `cannot be loaded: ${describe(err)}` } satisfies WorkerReady);
}
