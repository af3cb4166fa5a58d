import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import type { Client } from 'graphql-ws';
import { collect, gql, wsClient } from '../support/graphql.js';
import { type ServerProcess, spawnServer } from '../support/process.js';

/*
 * Two stategate processes (dist/main.js) on one Cassandra keyspace, with no bus between them: each tails the
 * log itself, so the events written on both reach the streams on both, each once and in log order (G4–G6).
 */

const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
const KEYSPACE = `stategate_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

interface Streamed {
  streamEvents: { entity: { key: string }; position: string };
}

describe('two server processes on one Cassandra keyspace', () => {
  const servers: ServerProcess[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    const env = {
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'cassandra', addr: ADDR, keyspace: KEYSPACE }),
      STATEGATE_AUTH_DISABLED: 'true',
      STATEGATE_LOG_POLL_MS: '50',
    };
    // The first creates the keyspace; the second finds it migrated.
    servers.push(await spawnServer(env, 60_000));
    servers.push(await spawnServer(env, 60_000));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all(servers.map((s) => s.kill('SIGTERM')));
    const client = new cassandra.Client({ contactPoints: [ADDR], localDataCenter: 'datacenter1' });
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
    } finally {
      await client.shutdown();
    }
  }, 60_000);

  it('delivers the events written on either instance to the streams on both, once each, in log order', async () => {
    const domain = `two-${randomUUID().slice(0, 8)}`;
    const query = 'subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { entity { key } position } }';
    // From position 0: each stream replays what is stored, then goes on live, so none can miss a write.
    const streams = servers.map((server) => {
      const client = wsClient(`${server.url.replace(/^http/, 'ws')}/api/graphql`);
      clients.push(client);
      return collect<Streamed>(client, query, { input: { domain, type: 't', after: '0' } });
    });
    const written: string[] = [];
    for (let i = 0; i < 10; i++) {
      const server = servers[i % 2]!;
      const res = await gql(
        `${server.url}/api/graphql`,
        'mutation ($input: EntityInput!) { setEntity(input: $input) }',
        { input: { domain, type: 't', key: `k${i}`, values: { i } } },
      );
      expect(res.errors).toBeUndefined();
      written.push(`k${i}`);
    }
    for (const stream of streams) await stream.waitFor(10);
    const [a, b] = streams.map((s) => s.items.map((item) => item.data!.streamEvents));
    expect(a!.map((e) => e.entity.key)).toEqual(written);
    expect(b).toEqual(a);
    const positions = a!.map((e) => Number(e.position));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
  }, 60_000);
});
