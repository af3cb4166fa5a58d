/**
 * listTypes under a response policy: each (domain, type) pair is decided on its own and a withheld pair is
 * dropped from the answer (G9), the same on GraphQL and REST (the conformance suite covers every transport
 * without a policy). And STATEGATE_CONSOLE=false leaves /console unserved.
 */
import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { uid } from './helpers.js';

/** Withholds the pairs of the domain `secret-*` from ListTypes; allows everything else. */
const POLICY = `package stategate.authz

default allow := true

allow := false if {
	input.method == "/stategate.EntityService/ListTypes"
	startswith(input.response.domain, "secret-")
}
`;

const LIST = 'query($input: ListTypesOpts!) { listTypes(input: $input) { types { domain type count } } }';
const SET = 'mutation($input: EntityInput!) { setEntity(input: $input) }';

describe('listTypes with a response policy', () => {
  let server: TestServer;
  const open = uid('open');
  const secret = uid('secret');

  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_RESPONSE_POLICY: Buffer.from(POLICY).toString('base64') });
    for (const [domain, type, key] of [
      [open, 'user', 'a'],
      [open, 'user', 'b'],
      [open, 'order', 'o'],
      [secret, 'user', 's'],
    ]) {
      expect((await gql(server.httpUrl, SET, { input: { domain, type, key, values: {} } })).data).toEqual({
        setEntity: true,
      });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('GraphQL: answers the allowed pairs with their counts and drops the withheld ones', async () => {
    const all = await gql<{ listTypes: { types: { domain: string }[] } }>(server.httpUrl, LIST, {
      input: { limit: 1000 },
    });
    const domains = all.data?.listTypes.types.map((t) => t.domain) ?? [];
    expect(domains).toContain(open);
    expect(domains.some((d) => d.startsWith('secret-'))).toBe(false);
    const mine = await gql(server.httpUrl, LIST, { input: { domain: open, limit: 10 } });
    expect(mine.data).toEqual({
      listTypes: {
        types: [
          { domain: open, type: 'order', count: '1' },
          { domain: open, type: 'user', count: '2' },
        ],
      },
    });
    expect((await gql(server.httpUrl, LIST, { input: { domain: secret, limit: 10 } })).data).toEqual({
      listTypes: { types: [] },
    });
  });

  it('REST: GET /api/entity/types answers the same', async () => {
    const res = await fetch(`${server.app.url}/api/entity/types?domain=${open}&limit=1&offset=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ types: [{ domain: open, type: 'user', count: '2' }] });
    const hidden = await fetch(`${server.app.url}/api/entity/types?domain=${secret}&limit=10`);
    // protojson leaves an empty list out.
    expect(await hidden.json()).toEqual({});
    const bad = await fetch(`${server.app.url}/api/entity/types?limit=0`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 3, message: 'limit must be a positive integer' });
  });
});

describe('STATEGATE_CONSOLE', () => {
  it('=false leaves /console unserved (404), the API as it was', async () => {
    const server = await startTestServer({ STATEGATE_CONSOLE: 'false' });
    try {
      expect((await fetch(`${server.app.url}/console/`)).status).toBe(404);
      expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
