import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphqlResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string }; path?: string[] }>;
}

/** One GraphQL request over HTTP POST with fetch, as any web client sends it. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphqlResponse<T>, 'status'>;
  return { status: res.status, ...body };
}

/** The first error code of a response, or undefined. */
export function errorCode(res: GraphqlResponse<unknown>): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/** A graphql-ws client over a real WebSocket. */
export function wsClient(url: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({ url, webSocketImpl: WebSocket, connectionParams, lazy: false, retryAttempts: 0 });
}

/** Collects a subscription's payloads until `count` arrived (or it ends / errors). */
export function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
): {
  items: Array<{ data?: T | null; errors?: GraphqlResponse['errors'] }>;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  done: Promise<void>;
  stop(): void;
} {
  const items: Array<{ data?: T | null; errors?: GraphqlResponse['errors'] }> = [];
  let waiter: (() => void) | null = null;
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  done.catch(() => {});
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        items.push(value as (typeof items)[number]);
        waiter?.();
      },
      error: (err) => {
        fail(err);
        waiter?.();
      },
      complete: () => {
        finish();
        waiter?.();
      },
    },
  );
  return {
    items,
    done,
    stop,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (items.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out with ${items.length}/${count} items`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}
