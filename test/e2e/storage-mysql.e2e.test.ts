import { needService } from '../contract/helpers.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Api, api, eventsOf, ok, uid } from './helpers.js';

/** Started by `scripts/services.sh up` (MariaDB); the test fails (never skips) when it cannot be reached. */
const URL = process.env.STATEGATE_TEST_MYSQL_URL ?? 'mysql://stategate:stategate@127.0.0.1:3306/stategate';

/** The whole server on the mysql storage provider, configured the seed's way (JSON form, user/password apart). */
describe('a server on mysql storage', () => {
  let server: TestServer;
  let a: Api;
  beforeAll(async () => {
    const url = new globalThis.URL(URL);
    const storage = {
      name: 'mysql',
      addr: `mysql://${url.host}${url.pathname}`,
      poolSize: 4,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
    server = await needService(
      `MariaDB at ${URL}`,
      startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage), STATEGATE_AUTH_DISABLED: 'true' }),
    );
    a = api(server.httpUrl);
  });
  afterAll(() => server?.close());

  it('sets, edits, gets, searches and lists the events of an entity', async () => {
    const domain = uid('mysql-e2e');
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

describe('a server configured for an unreachable MariaDB', () => {
  it('refuses to start with an error naming the provider and the address, the password masked', async () => {
    const storage = { name: 'mysql', addr: 'mysql://127.0.0.1:1/stategate', user: 'app', password: 's3cret' };
    const start = startTestServer({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(storage) });
    const message = await start.then(
      async (server) => {
        await server.close();
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(message).toContain('cannot connect to mysql at mysql://app:***@127.0.0.1:1/stategate');
    expect(message).not.toContain('s3cret');
  });
});
