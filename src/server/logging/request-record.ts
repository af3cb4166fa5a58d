import { AsyncLocalStorage } from 'node:async_hooks';

/** What one request's log line says; filled while the request runs, written when it ends. */
export interface RequestRecord {
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly transport: string;
  /** The gRPC full methods core was asked for (a GraphQL operation may call several). */
  readonly methods: Set<string>;
  /** The GraphQL operation's name, when it has one. */
  operation?: string;
  /** The verified principal's `sub`, once core authenticated the call. */
  sub?: string;
  /** The gRPC code name of the first error core answered (NOT_FOUND, …). */
  code?: string;
  /** True when the request opened a stream of events or messages. */
  stream?: boolean;
}

/**
 * The record of the request being served, found again by code that runs on its behalf (the access
 * policy and core API observers) without every transport passing it along.
 */
const current = new AsyncLocalStorage<RequestRecord>();

export function runWithRecord<T>(record: RequestRecord, run: () => T): T {
  return current.run(record, run);
}

export function currentRecord(): RequestRecord | undefined {
  return current.getStore();
}
