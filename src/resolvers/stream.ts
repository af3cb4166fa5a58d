import type { Subscription } from '../core/api.js';

const FAILURE = Symbol('stategate.streamFailure');

/** The last item of a stream that ended with an error: the field's `resolve` throws it (see below). */
export interface StreamFailure {
  readonly [FAILURE]: unknown;
}

export type StreamItem<T> = T | StreamFailure;

/**
 * Adapts a core subscription for a GraphQL subscription field. When the core iterator throws (e.g.
 * RESOURCE_EXHAUSTED for a slow subscriber), the error becomes one final item and the stream then ends.
 * That way the error reaches the client as a normal `next` payload with `errors[0].extensions.code`,
 * followed by `complete` — an iterator that throws would instead tear down the graphql-ws operation with
 * an unmasked message. `return()` (client unsubscribed, socket or request closed) closes the core
 * subscription at once, even while a `next()` is pending, which an async generator could not do.
 */
export function endWithFailure<T>(subscription: Subscription<T>): AsyncIterableIterator<StreamItem<T>> {
  const source = subscription[Symbol.asyncIterator]();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    subscription.close();
  };
  const done = (): IteratorReturnResult<undefined> => ({ done: true, value: undefined });

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return done();
      try {
        const result = await source.next();
        if (result.done) {
          finish();
          return done();
        }
        return { done: false, value: result.value };
      } catch (error) {
        if (finished) return done();
        finish();
        return { done: false, value: { [FAILURE]: error } };
      }
    },
    async return() {
      finish();
      return done();
    },
    async throw(error: unknown) {
      finish();
      throw error;
    },
  };
}

/** The `resolve` of a subscription field: passes items through and throws the final failure. */
export function unwrapStreamItem<T>(item: StreamItem<T>): T {
  if (typeof item === 'object' && item !== null && FAILURE in item) throw item[FAILURE];
  return item;
}
