/**
 * The console's only way to the server: GraphQL over graphql-ws on the same origin, with the JWT in the
 * `connection_init` payload. It is the public API, so authentication, validation and every policy apply to
 * the console exactly as to any other client.
 */
import { type Client, createClient } from 'graphql-ws';
import { storedToken } from './auth.js';

/** A GraphQL error as the server sends it: a message and the gRPC code name in `extensions.code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** How the connection stands, for the header: up, refused for want of a valid token, or unreachable. */
export type ConnectionState = 'connecting' | 'connected' | 'unauthenticated' | 'unreachable';

type Listener = (state: ConnectionState, reason?: string) => void;

const listeners = new Set<Listener>();
let client: Client | null = null;
let state: ConnectionState = 'connecting';
let stateReason: string | undefined;

function setState(next: ConnectionState, reason?: string) {
  state = next;
  stateReason = reason;
  for (const listener of listeners) listener(state, reason);
}

export function onConnectionState(listener: Listener): () => void {
  listeners.add(listener);
  current(); // connect now, so the state is known before the first request (e.g. on the Login page)
  listener(state, stateReason);
  return () => listeners.delete(listener);
}

function endpoint(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/graphql`;
}

function connect(): Client {
  const token = storedToken();
  setState('connecting');
  const created = createClient({
    url: endpoint(),
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    lazy: false,
    retryAttempts: 3,
    // 4401 (no or bad token) and 4403 are answers, not outages: retrying would only repeat them.
    shouldRetry: (event) => !(event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)),
    on: {
      connected: () => setState('connected'),
      closed: (event) => {
        const close = event as CloseEvent;
        if (close.code === 4401 || close.code === 4403) setState('unauthenticated', close.reason || undefined);
        else if (state !== 'unauthenticated') setState('unreachable', close.reason || undefined);
      },
    },
  });
  return created;
}

function current(): Client {
  client ??= connect();
  return client;
}

/** Drops the connection and opens a new one (after login or logout: the token is read at connection_init). */
export function reconnect(): void {
  const old = client;
  client = null;
  void old?.dispose();
  current();
}

function toError(errors: unknown): ApiError {
  if (errors instanceof ApiError) return errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0] as { message?: string; extensions?: { code?: string } };
    return new ApiError(first.message ?? 'request failed', first.extensions?.code ?? 'UNKNOWN');
  }
  if (typeof CloseEvent !== 'undefined' && errors instanceof CloseEvent) {
    const unauthenticated = errors.code === 4401 || errors.code === 4403;
    return new ApiError(
      errors.reason || (unauthenticated ? 'not signed in' : 'the connection to the server closed'),
      unauthenticated ? 'UNAUTHENTICATED' : 'UNAVAILABLE',
    );
  }
  if (errors instanceof Error) return new ApiError(errors.message, 'UNAVAILABLE');
  return new ApiError('the server could not be reached', 'UNAVAILABLE');
}

/** One query or mutation; resolves with its `data`, rejects with an ApiError. */
export function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let data: T | undefined;
    current().subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) reject(toError(result.errors));
          else data = result.data as T;
        },
        error: (err) => reject(toError(err)),
        complete: () => (data === undefined ? reject(new ApiError('no answer', 'UNKNOWN')) : resolve(data)),
      },
    );
  });
}

export interface StreamSink<T> {
  next(item: T): void;
  /** The stream ended with an error (a policy denial, RESOURCE_EXHAUSTED, a lost connection…). */
  error(err: ApiError): void;
  complete?(): void;
}

/** A subscription; answers the function that ends it. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, sink: StreamSink<T>): () => void {
  return current().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) sink.error(toError(result.errors));
        else if (result.data) sink.next(result.data as T);
      },
      error: (err) => sink.error(toError(err)),
      complete: () => sink.complete?.(),
    },
  );
}

/** What a person should do about an error, in words (a policy denial reads as one, not as a crash). */
export function advice(err: ApiError): string {
  switch (err.code) {
    case 'PERMISSION_DENIED':
      return 'The server’s policy does not allow this for your token. Sign in with a token that has the rights, or ask an administrator.';
    case 'UNAUTHENTICATED':
      return 'Sign in with a valid JWT (Login, top right).';
    case 'INVALID_ARGUMENT':
      return 'Check the input and try again.';
    case 'NOT_FOUND':
      return 'It does not exist (or no longer exists).';
    case 'ABORTED':
      return 'It changed meanwhile: reload and try again.';
    case 'ALREADY_EXISTS':
      return 'It is taken already.';
    case 'RESOURCE_EXHAUSTED':
      return 'A server limit was reached: slow down or ask for less, then try again.';
    case 'UNAVAILABLE':
      return 'The server is unreachable or not ready: check it is running and try again.';
    default:
      return 'Try again; if it persists, check the server log.';
  }
}
