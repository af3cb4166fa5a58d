import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CallError } from './errors.js';
import type { ClientOptions } from './options.js';

const ENDPOINT = '/api/graphql';

interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

/** The first error of a GraphQL answer as a CallError (its code, e.g. NOT_FOUND, else the HTTP status). */
function callError(errors: readonly GraphqlError[], status?: number): CallError {
  const first = errors[0];
  return new CallError(first?.extensions?.code ?? (status ? `HTTP ${status}` : 'UNKNOWN'), first?.message ?? 'failed');
}

/** One GraphQL operation over HTTP POST: its `data`, or a CallError. */
export async function graphql<T>(
  options: ClientOptions,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let res: Response;
  try {
    res = await fetch(`${options.url}${ENDPOINT}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CallError('UNAVAILABLE', `cannot reach ${options.url}: ${cause?.code ?? cause?.message ?? String(err)}`);
  }
  const text = await res.text();
  let body: { data?: T | null; errors?: GraphqlError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CallError(`HTTP ${res.status}`, `${options.url} did not answer GraphQL: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length) throw callError(body.errors, res.status);
  if (!body.data) throw new CallError(`HTTP ${res.status}`, 'the answer has no data');
  return body.data;
}

/**
 * Runs a GraphQL subscription over graphql-ws, calling `onNext` for each payload, until the server ends it
 * (resolves), it fails (rejects with a CallError), or `signal` aborts (resolves).
 */
export function subscribe<T>(
  options: ClientOptions,
  query: string,
  variables: Record<string, unknown>,
  onNext: (data: T) => void,
  signal: AbortSignal,
): Promise<void> {
  const url = `${options.url.replace(/^http/, 'ws')}${ENDPOINT}`;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: CallError) => {
      signal.removeEventListener('abort', stop);
      void client.dispose();
      if (err) reject(err);
      else resolve();
    };
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors?.length) finish(callError(value.errors as GraphqlError[]));
          else if (value.data) onNext(value.data);
        },
        error: (err) => finish(socketError(err, url)),
        complete: () => finish(),
      },
    );
    const stop = () => {
      unsubscribe();
      finish();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** What graphql-ws reports (GraphQL errors, a close event, a socket error) as a CallError. */
function socketError(err: unknown, url: string): CallError {
  if (Array.isArray(err)) return callError(err as GraphqlError[]);
  const close = err as { code?: number; reason?: string };
  if (typeof close.code === 'number') {
    const code = close.code === 4401 || close.code === 4403 ? 'UNAUTHENTICATED' : 'UNAVAILABLE';
    return new CallError(code, `${url} closed the stream (${close.code}${close.reason ? ` ${close.reason}` : ''})`);
  }
  const message = (err as { message?: string }).message ?? String(err);
  return new CallError('UNAVAILABLE', `cannot reach ${url}: ${message}`);
}
