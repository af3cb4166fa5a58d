import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { needService } from '../contract/helpers.js';
import { wsClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, EVENT_FIELDS, eventsOf, ok, subscribers, uid, until } from './helpers.js';

/** Started by `scripts/services.sh up` (tools/cassandra); the tests fail (never skip) when it cannot be reached. */
const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
/** This run's own keyspace (the server creates it at start), dropped at the end. */
const KEYSPACE = `stategate_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** The whole server on Cassandra storage, configured the seed's way. */
describe('a server on cassandra storage', () => {
  let server: TestServer;
  let a: Api;
  beforeAll(async () => {
    const storage = { name: 'cassandra', addr: ADDR, keyspace: KEYSPACE, localDataCenter: 'datacenter1' };
    server = await needService(
      `cassandra (${ADDR})`,
      startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage), STATEGATE_AUTH_DISABLED: 'true' }),
    );
    a = api(server.httpUrl);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    const client = new cassandra.Client({ contactPoints: [ADDR], localDataCenter: 'datacenter1' });
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
    } finally {
      await client.shutdown();
    }
  }, 60_000);

  it('sets, edits, gets, searches and lists the events of an entity', async () => {
    const domain = uid('cassandra-e2e');
    ok(await a.set({ domain, type: 't', key: 'ann', values: { name: 'Ann', age: 30 } }));
    ok(await a.set({ domain, type: 't', key: 'bob', values: { name: 'Bob', age: 17 } }));
    const edited = ok(await a.edit({ domain, type: 't', key: 'ann', values: { age: 31 } })).editEntity;
    expect(edited).toEqual({ domain, type: 't', key: 'ann', values: { name: 'Ann', age: 31 }, version: '2' });
    expect(ok(await a.get({ domain, type: 't', key: 'ann' })).getEntity).toEqual(edited);

    const found = ok(
      await a.searchEntities({ domain, type: 't', limit: 10, query_string: JSON.stringify({ age: { $gt: 18 } }) }),
    ).searchEntities.entities;
    expect(found.map((e) => e.key)).toEqual(['ann']);

    const events = await eventsOf(a, domain, 't', 'ann');
    expect(events.map((e) => e.entity.version)).toEqual(['1', '2']);
    expect(Number(events[1]!.position)).toBeGreaterThan(Number(events[0]!.position));

    // Revert to the first event's state, then delete: versions go on, Get sees the deletion.
    const reverted = ok(await a.revert({ domain, type: 't', key: 'ann', id: events[0]!.id })).revertEntity;
    expect(reverted).toMatchObject({ values: { name: 'Ann', age: 30 }, version: '3' });
    ok(await a.del({ domain, type: 't', key: 'ann' }));
    expect((await a.get({ domain, type: 't', key: 'ann' })).data?.getEntity ?? null).toBeNull();
    expect((await eventsOf(a, domain, 't', 'ann')).map((e) => e.entity.version)).toEqual(['1', '2', '3', '4']);
  });

  it('streams the events committed on Cassandra live, in log order', async () => {
    const domain = uid('cassandra-stream');
    const client = wsClient(server.wsUrl);
    const received: { entity: { key: string; version: string }; position: string }[] = [];
    try {
      client.subscribe(
        {
          query: `subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { ${EVENT_FIELDS} } }`,
          variables: { input: { domain, type: 't' } },
        },
        {
          next: (v) => received.push((v.data as { streamEvents: (typeof received)[number] }).streamEvents),
          error: () => {},
          complete: () => {},
        },
      );
      await subscribers(server, 'event', 1);
      for (let i = 0; i < 5; i++) ok(await a.set({ domain, type: 't', key: `k${i}`, values: { i } }));
      await until(() => received.length === 5, 'five streamed events');
      expect(received.map((e) => e.entity.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      const positions = received.map((e) => Number(e.position));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    } finally {
      await client.dispose();
    }
  });
});

describe('a server configured for an unreachable cassandra', () => {
  it('refuses to start with an error naming the provider and the address, never the password', async () => {
    const storage = { name: 'cassandra', addr: '127.0.0.1:1', user: 'app', password: 's3cret' };
    const message = await startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage) }).then(
      async (server) => {
        await server.close();
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(message).toContain('cannot connect to cassandra at 127.0.0.1:1');
    expect(message).not.toContain('s3cret');
  });
});
