import { fetchExchange, subscriptionExchange, Client as UrqlClient } from '@urql/core';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import type { Client as WsClient } from 'graphql-ws';
import {
  EditEntityDocument,
  GetEntityDocument,
  SeedSetEntityDocument,
  SetEntityDocument,
  StreamEventsDocument,
  type StreamEventsSubscription,
} from '../generated/graphql.js';
import { wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, eventSubscribers, ok, Q, subscribers, uid, until } from './helpers.js';

/**
 * The clients stategate's users have: a urql front end (graphql-ws for subscriptions, fetch for the rest),
 * GraphQL over SSE (the graphql-sse client and a bare fetch), GraphiQL in a browser, plain GET queries.
 */

let server: TestServer;
let a: Api;

beforeAll(async () => {
  server = await startTestServer();
  a = api(server.httpUrl);
});

afterAll(async () => {
  await server?.close();
});

afterEach(async () => {
  await subscribers(server, 'event', 0);
});

describe('a urql front end (fetchExchange + subscriptionExchange over graphql-ws)', () => {
  let ws: WsClient;
  let urql: UrqlClient;

  beforeAll(() => {
    ws = wsClient(server.wsUrl);
    urql = new UrqlClient({
      url: server.httpUrl,
      requestPolicy: 'network-only',
      exchanges: [
        subscriptionExchange({
          forwardSubscription(request) {
            const input = { ...request, query: request.query ?? '' };
            return {
              subscribe(sink) {
                const unsubscribe = ws.subscribe(input, sink);
                return { unsubscribe };
              },
            };
          },
        }),
        fetchExchange,
      ],
    });
  });

  afterAll(async () => {
    await ws?.dispose();
  });

  it('runs the seed mutation and reads the entity back with a typed query', async () => {
    const set = await urql.mutation(SeedSetEntityDocument, {}).toPromise();
    expect(set.error).toBeUndefined();
    expect(set.data).toEqual({ setEntity: true });
    const got = await urql
      .query(GetEntityDocument, { input: { domain: 'accounting', type: 'user', key: 'coleman.word@example.com' } })
      .toPromise();
    expect(got.error).toBeUndefined();
    expect(got.data?.getEntity).toMatchObject({
      domain: 'accounting',
      key: 'coleman.word@example.com',
      values: { first_name: 'Coleman', last_name: 'Word' },
    });
  });

  it('sees a mutation of its own arrive on a live subscription', async () => {
    const domain = uid('urql');
    const received: StreamEventsSubscription['streamEvents'][] = [];
    const errors: unknown[] = [];
    const { unsubscribe } = urql.subscription(StreamEventsDocument, { input: { domain } }).subscribe((result) => {
      if (result.error) errors.push(result.error);
      if (result.data) received.push(result.data.streamEvents);
    });
    try {
      await subscribers(server, 'event', 1);
      const set = await urql
        .mutation(SetEntityDocument, { input: { domain, type: 'user', key: 'ann', values: { name: 'Ann' } } })
        .toPromise();
      expect(set.data).toEqual({ setEntity: true });
      const edit = await urql
        .mutation(EditEntityDocument, {
          input: { domain, type: 'user', key: 'ann', values: { title: 'CFO' }, version: 1 },
        })
        .toPromise();
      expect(edit.data?.editEntity).toMatchObject({ version: '2', values: { name: 'Ann', title: 'CFO' } });
      await until(() => received.length >= 2, 'two events on the urql subscription');
      expect(errors).toEqual([]);
      expect(received.map((e) => [e.method, e.entity.version, e.entity.values])).toEqual([
        ['/stategate.EntityService/Set', '1', { name: 'Ann' }],
        ['/stategate.EntityService/Edit', '2', { name: 'Ann', title: 'CFO' }],
      ]);
    } finally {
      unsubscribe();
    }
    await subscribers(server, 'event', 0);
  });

  it('gets the error code of a failed query in graphQLErrors', async () => {
    const res = await urql
      .query(GetEntityDocument, { input: { domain: 'accounting', type: 'user', key: uid() } })
      .toPromise();
    expect(res.data?.getEntity ?? null).toBeNull();
    expect(res.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const bad = await urql
      .mutation(SetEntityDocument, { input: { domain: '', type: 'user', key: 'k', values: {} } })
      .toPromise();
    expect(bad.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['INVALID_ARGUMENT']);
    const stale = await urql
      .mutation(SetEntityDocument, {
        input: { domain: 'accounting', type: 'user', key: 'coleman.word@example.com', values: {}, version: -1 },
      })
      .toPromise();
    expect(stale.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['ABORTED']);
  });
});

describe('a bare graphql-ws client', () => {
  it('runs mutations and queries too, with error codes', async () => {
    const ws = wsClient(server.wsUrl);
    try {
      const once = <T>(query: string, variables: Record<string, unknown>) =>
        new Promise<{ data?: T | null; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }>(
          (resolve, reject) => {
            let result: { data?: T | null } | undefined;
            ws.subscribe<T>(
              { query, variables },
              { next: (r) => (result = r), error: reject, complete: () => resolve(result ?? {}) },
            );
          },
        );
      const key = uid();
      const input = { domain: 'ws', type: 't', key, values: { over: 'ws' } };
      expect(await once(Q.set, { input })).toEqual({ data: { setEntity: true } });
      const got = await once<{ getEntity: { values: unknown } }>(Q.get, { input: { domain: 'ws', type: 't', key } });
      expect(got.data?.getEntity.values).toEqual({ over: 'ws' });
      const missing = await once(Q.get, { input: { domain: 'ws', type: 't', key: uid() } });
      expect(missing.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      const bad = await once(Q.set, { input: { ...input, values: [1] } });
      expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    } finally {
      await ws.dispose();
    }
  });
});

describe('GraphQL over server-sent events', () => {
  it('the graphql-sse client (distinct connections) receives live events', async () => {
    const domain = uid('sse');
    const client = createSseClient({ url: server.httpUrl, fetchFn: fetch, retryAttempts: 0 });
    const received: StreamEventsSubscription['streamEvents'][] = [];
    const errors: unknown[] = [];
    const dispose = client.subscribe<StreamEventsSubscription>(
      { query: print(StreamEventsDocument), variables: { input: { domain } } },
      {
        next: (result) => {
          if (result.errors) errors.push(result.errors);
          if (result.data) received.push(result.data.streamEvents);
        },
        error: (err) => errors.push(err),
        complete: () => {},
      },
    );
    try {
      await subscribers(server, 'event', 1);
      ok(await a.set({ domain, type: 't', key: 'k', values: { n: 1 } }));
      ok(await a.set({ domain, type: 't', key: 'k', values: { n: 2 } }));
      await until(() => received.length >= 2, 'two events over SSE');
      expect(errors).toEqual([]);
      expect(received.map((e) => [e.entity.version, e.entity.values])).toEqual([
        ['1', { n: 1 }],
        ['2', { n: 2 }],
      ]);
      expect(received[0]!.method).toBe('/stategate.EntityService/Set');
    } finally {
      dispose();
      client.dispose();
    }
    await subscribers(server, 'event', 0);
  });

  it('a bare fetch with accept: text/event-stream gets `event: next` frames', async () => {
    const domain = uid('sse-raw');
    const controller = new AbortController();
    const res = await fetch(server.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: Q.streamEvents, variables: { input: { domain } } }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames: Array<{ event: string; data: unknown }> = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = block.split('\n');
            const event = lines
              .find((l) => l.startsWith('event:'))
              ?.slice(6)
              .trim();
            const data = lines
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trim())
              .join('\n');
            if (event) frames.push({ event, data: data ? JSON.parse(data) : undefined });
          }
        }
      } catch {
        // aborted
      }
    })();
    try {
      await subscribers(server, 'event', 1);
      ok(await a.set({ domain, type: 't', key: 'raw', values: { via: 'sse' } }));
      await until(() => frames.some((f) => f.event === 'next'), 'an SSE next frame');
      const next = frames.find((f) => f.event === 'next')!.data as { data: StreamEventsSubscription };
      expect(next.data.streamEvents.entity).toMatchObject({ key: 'raw', values: { via: 'sse' }, version: '1' });
    } finally {
      controller.abort();
      await reading;
    }
    // Closing the connection ends the subscription on the server.
    await until(() => eventSubscribers(server) === 0, 'the SSE subscription to end');
  });

  it('a query over SSE answers one next frame and completes', async () => {
    const res = await fetch(server.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query:
          '{ getEntity(input: {domain: "accounting", type: "user", key: "coleman.word@example.com"}) { version } }',
      }),
    });
    const text = await res.text();
    expect(text).toMatch(/event: next\ndata: \{"data":\{"getEntity":\{"version":"\d+"\}\}\}/);
    expect(text).toMatch(/event: complete/);
  });
});

describe('GraphiQL and GET', () => {
  it('GET /api/graphql from a browser answers the GraphiQL page', async () => {
    const res = await fetch(server.httpUrl, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain('GraphiQL');
    expect(html).toContain('stategate');
  });

  it('GET with a query string runs a query', async () => {
    const query = '{ getEntity(input: {domain: "accounting", type: "user", key: "coleman.word@example.com"}) { key } }';
    const res = await fetch(`${server.httpUrl}?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { getEntity: { key: 'coleman.word@example.com' } } });
  });

  it('GET refuses a mutation (405) and changes nothing', async () => {
    const key = uid();
    const mutation = `mutation { setEntity(input: {domain: "get", type: "t", key: "${key}", values: {a: 1}}) }`;
    const res = await fetch(`${server.httpUrl}?query=${encodeURIComponent(mutation)}`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(405);
    const got = await a.get({ domain: 'get', type: 't', key });
    expect(got.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('malformed HTTP requests are 4xx, never 5xx', () => {
  const post = (body: string, contentType = 'application/json') =>
    fetch(server.httpUrl, {
      method: 'POST',
      headers: { 'content-type': contentType, accept: 'application/graphql-response+json' },
      body,
    });

  it.each([
    ['a body that is not JSON', '{"query": '],
    ['an empty body', ''],
    ['a query that is not a string', '{"query": 42}'],
    ['no query', '{"variables": {}}'],
    ['a syntax error', '{"query": "{ getEntity(input: "}'],
    ['an unknown field', '{"query": "{ nothing }"}'],
    ['a missing argument', '{"query": "{ getEntity { key } }"}'],
    ['variables that are not an object', '{"query": "{ __typename }", "variables": [1]}'],
  ])('%s', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const json = (await res.json()) as { errors?: unknown[] };
    expect(json.errors?.length).toBeGreaterThan(0);
  });
});
