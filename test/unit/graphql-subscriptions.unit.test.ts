import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { StategateError } from '../../src/core/errors.js';
import type { Entity, Event } from '../../src/core/model.js';
import { createGraphqlServer } from '../../src/server/graphql.js';
import { StreamEventsWithCurrentDocument, StreamMessagesDocument } from '../generated/graphql.js';
import { createFakeApi, type FakeApi, type FakeSubscription } from './support/fake-api.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Payloads of one subscription, and whether it completed or failed at the protocol level. */
function sink() {
  const items: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }[] = [];
  const state = { completed: false, error: undefined as unknown };
  return {
    items,
    state,
    next: (value: unknown) => {
      items.push(value as (typeof items)[number]);
    },
    error: (error: unknown) => {
      state.error = error;
    },
    complete: () => {
      state.completed = true;
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const entity = (version: number): Entity => ({ domain: 'd', type: 't', key: 'k', values: { v: version }, version });
const event = (position: number): Event => ({
  id: `e${position}`,
  entity: entity(position),
  claims: { sub: 'alice' },
  time: 1_700_000_000_000_000_000n + BigInt(position),
  method: '/stategate.EntityService/Set',
  position,
});

describe('GraphQL subscriptions (real port, fake core)', () => {
  let fake: FakeApi;
  let server: Server;
  let websockets: { close(): Promise<void> };
  let httpUrl: string;
  let wsUrl: string;
  const clients: Client[] = [];

  beforeEach(async () => {
    fake = createFakeApi();
    const graphql = createGraphqlServer({ api: fake.api, logger: silent, maxSubscriptionsPerConnection: 3 });
    server = createServer(graphql.yoga);
    websockets = graphql.attachWebSocket(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    httpUrl = `http://127.0.0.1:${port}/api/graphql`;
    wsUrl = `ws://127.0.0.1:${port}/api/graphql`;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await websockets.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function ws(connectionParams: Record<string, unknown> = {}): Client {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
    clients.push(client);
    return client;
  }

  const latest = <T>(list: FakeSubscription<T>[]) => {
    const found = list.at(-1);
    if (!found) throw new Error('no stream opened');
    return found;
  };

  it('streams events over graphql-ws; a core error arrives as a coded payload, then complete', async () => {
    const client = ws({ authToken: 'abc' });
    const out = sink();
    client.subscribe(
      { query: print(StreamEventsWithCurrentDocument), variables: { input: { domain: 'd*', after: '5' } } },
      out,
    );
    await until(() => fake.eventStreams.length === 1, 'the stream to open');
    const [call] = fake.callsOf('events.stream');
    expect(call?.input).toEqual({ domain: 'd*', after: 5 });
    expect(call?.ctx.authorization).toBe('Bearer abc');

    fake.entities.set('d/t/k', entity(6));
    latest(fake.eventStreams).push(event(6));
    await until(() => out.items.length === 1, 'the first event');
    fake.entities.set('d/t/k', entity(7));
    latest(fake.eventStreams).push(event(7));
    await until(() => out.items.length === 2, 'the second event');
    // Each event reads the entity's current state afresh, not a copy cached for the subscription's life.
    expect(
      out.items.map((i) => (i.data as { streamEvents: { current: { version: string } } }).streamEvents.current),
    ).toEqual([expect.objectContaining({ version: '6' }), expect.objectContaining({ version: '7' })]);
    expect(out.items[0]?.data).toMatchObject({
      streamEvents: { id: 'e6', time: '1700000000000000006', position: '6', claims: { sub: 'alice' } },
    });

    latest(fake.eventStreams).fail(new StategateError('RESOURCE_EXHAUSTED', 'subscriber too slow: resume after 7'));
    await until(() => out.state.completed, 'complete');
    expect(out.items[2]?.errors?.[0]).toMatchObject({
      message: 'subscriber too slow: resume after 7',
      extensions: { code: 'RESOURCE_EXHAUSTED' },
    });
    expect(out.state.error).toBeUndefined();
    expect(latest(fake.eventStreams).closed).toBe(true);
  });

  it('closes the core subscription when the client unsubscribes or the socket closes', async () => {
    const client = ws();
    const first = client.subscribe({ query: print(StreamMessagesDocument), variables: { input: {} } }, sink());
    client.subscribe({ query: print(StreamMessagesDocument), variables: { input: { channel: 'c' } } }, sink());
    await until(() => fake.messageStreams.length === 2, 'two streams');
    first();
    await until(() => fake.messageStreams[0]?.closed === true, 'the first stream to close');
    expect(fake.messageStreams[1]?.closed).toBe(false);
    await client.dispose();
    await until(() => fake.messageStreams[1]?.closed === true, 'the second stream to close');
  });

  it('lets streams ended by a shutdown send their last payload before the sockets close', async () => {
    const client = ws();
    const out = sink();
    client.subscribe({ query: 'subscription { streamEvents(input: {}) { position } }' }, out);
    await until(() => fake.eventStreams.length === 1, 'the stream to open');
    latest(fake.eventStreams).fail(new StategateError('UNAVAILABLE', 'server is shutting down'));
    await websockets.close();
    await until(() => out.state.completed || out.state.error !== undefined, 'the end');
    expect(out.items).toEqual([
      expect.objectContaining({ errors: [expect.objectContaining({ extensions: { code: 'UNAVAILABLE' } })] }),
    ]);
    expect(out.state.completed).toBe(true);
  });

  it('takes credentials from connection_init and limits operations per connection', async () => {
    const client = ws({ Authorization: 'Bearer from-init' });
    const outs = [sink(), sink(), sink(), sink()];
    for (const out of outs) client.subscribe({ query: 'subscription { streamMessages(input: {}) { id } }' }, out);
    await until(() => outs[3]?.state.error !== undefined, 'the fourth to be refused');
    expect(outs[3]?.state.error).toEqual([expect.objectContaining({ extensions: { code: 'RESOURCE_EXHAUSTED' } })]);
    expect(fake.callsOf('peers.stream').map((c) => c.ctx.authorization)).toEqual(Array(3).fill('Bearer from-init'));
  });

  it('answers syntax and variable errors without closing the socket, and runs queries and mutations too', async () => {
    const client = ws();
    const bad = sink();
    client.subscribe({ query: 'subscription { streamMessages(' }, bad);
    await until(() => bad.state.error !== undefined, 'the syntax error');
    expect(String((bad.state.error as { message: string }[])[0]?.message)).toMatch(/Syntax Error/);
    const badVariable = sink();
    client.subscribe(
      { query: print(StreamEventsWithCurrentDocument), variables: { input: { after: 'latest' } } },
      badVariable,
    );
    await until(() => badVariable.state.completed, 'the bad variable');
    expect(badVariable.items[0]?.errors?.map((e) => e.extensions?.code)).toEqual(['INVALID_ARGUMENT']);
    const ok = sink();
    client.subscribe(
      { query: 'mutation { setEntity(input: { domain: "d", type: "t", key: "k", values: { a: 1 } }) }' },
      ok,
    );
    await until(() => ok.state.completed, 'the mutation');
    expect(ok.items).toEqual([{ data: { setEntity: true } }]);
  });

  it('streams over SSE (graphql-sse distinct connections), with the same error handling', async () => {
    const client = createSseClient({ url: httpUrl, retryAttempts: 0 });
    try {
      const out = sink();
      client.subscribe({ query: print(StreamMessagesDocument), variables: { input: { domain: 'd' } } }, out);
      await until(() => fake.messageStreams.length === 1, 'the stream to open');
      await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation { broadcastMessage(input: { domain: "d", channel: "c", type: "t", body: { hi: true } }) }',
        }),
      });
      await until(() => out.items.length === 1, 'the message');
      expect(out.items[0]?.data).toMatchObject({ streamMessages: { id: 'm1', body: { hi: true }, time: '1' } });
      latest(fake.messageStreams).fail(new StategateError('UNAVAILABLE', 'server shutting down'));
      await until(() => out.state.completed, 'complete');
      expect(out.items[1]?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

      const unsubscribe = client.subscribe({ query: print(StreamMessagesDocument), variables: { input: {} } }, sink());
      await until(() => fake.messageStreams.length === 2, 'the second stream');
      unsubscribe();
      await until(() => fake.messageStreams[1]?.closed === true, 'the SSE stream to close');
    } finally {
      client.dispose();
    }
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const socket = new WebSocket(wsUrl.replace('/api/graphql', '/elsewhere'), 'graphql-transport-ws');
    const outcome = await new Promise<string>((resolve) => {
      socket.on('open', () => resolve('open'));
      socket.on('error', () => resolve('error'));
    });
    expect(outcome).toBe('error');
  });
});
