import { needService } from '../contract/helpers.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, eventsOf, ok, uid } from './helpers.js';

/** Started by `scripts/services.sh up`; the tests fail (never skip) when one cannot be reached. */
const env = process.env;
const POSTGRES = env.STATEGATE_TEST_POSTGRES_URL ?? 'postgres://stategate:stategate@127.0.0.1:5432/stategate';
const MYSQL = env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate';
const MONGO = env.STATEGATE_TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017/stategate';

/** The seed's JSON form, with user and password given apart from the address as an operator would. */
function jsonForm(name: string, testUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const url = new URL(testUrl);
  return {
    name,
    addr: `${url.protocol}//${url.host}${url.pathname}`,
    poolSize: 4,
    ...(url.username ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
    ...extra,
  };
}

const providers: Array<[string, Record<string, unknown>]> = [
  ['postgres', jsonForm('postgres', POSTGRES)],
  ['mysql', jsonForm('mysql', MYSQL)],
  ['mongo', jsonForm('mongo', MONGO, { database: `stategate_e2e_${process.pid}` })],
];

/** The whole server on each networked storage provider, configured the seed's way. */
describe.each(providers)('a server on %s storage', (name, storage) => {
  let server: TestServer;
  let a: Api;
  beforeAll(async () => {
    server = await needService(
      `${name} (${String(storage.addr)})`,
      startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage), STATEGATE_AUTH_DISABLED: 'true' }),
    );
    a = api(server.httpUrl);
  });
  afterAll(() => server?.close());

  it('sets, edits, gets, searches and lists the events of an entity', async () => {
    const domain = uid(`${name}-e2e`);
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
  });
});

describe.each([
  [
    'postgres',
    'postgres://127.0.0.1:1/stategate',
    'cannot connect to postgres at postgres://app:***@127.0.0.1:1/stategate',
  ],
  ['mysql', 'mysql://127.0.0.1:1/stategate', 'cannot connect to mysql at mysql://app:***@127.0.0.1:1/stategate'],
  [
    'mongo',
    'mongodb://127.0.0.1:1/stategate',
    'cannot connect to mongo storage at mongodb://app:***@127.0.0.1:1/stategate',
  ],
])('a server configured for an unreachable %s', (name, addr, expected) => {
  it('refuses to start with an error naming the provider and the address, the password masked', async () => {
    const storage = { name, addr, user: 'app', password: 's3cret' };
    const start = startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage) });
    const message = await start.then(
      async (server) => {
        await server.close();
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(message).toContain(expected);
    expect(message).not.toContain('s3cret');
  });
});
