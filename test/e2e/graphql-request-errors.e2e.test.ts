/**
 * One answer per kind of GraphQL request error (issue 8), the same for every client whatever it accepts:
 * a request that never ran is HTTP 400 (405 for the wrong method, 415 for a body a browser could send
 * cross-site) with `extensions.code: INVALID_ARGUMENT`; an operation that failed as a whole because of its
 * caller is 401 (+ WWW-Authenticate) or 429 (+ Retry-After); other execution errors stay 200 with `errors`.
 * Non-JSON POSTs (CSRF) change nothing unless they carry the CSRF header.
 */
import { startJwksServer } from '../support/jwks.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore } from './helpers.js';

const D = 'e2e-graphql-errors';
const MUTATION = `mutation { setEntity(input: {domain: "${D}", type: "user", key: "csrf", values: {pwned: true}}) }`;

interface Answer {
  status: number;
  code: unknown;
  message: string;
  headers: Headers;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  const body = text === '' ? {} : (JSON.parse(text) as Answer['body']);
  return {
    status: res.status,
    code: body.errors?.[0]?.extensions?.code,
    message: body.errors?.[0]?.message ?? '',
    headers: res.headers,
    body,
  };
}

const post = (body: string, headers: Record<string, string>): RequestInit => ({ method: 'POST', headers, body });
const json = (accept: string, body: unknown) =>
  post(typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', accept });

/** Each request error: how it is sent (per Accept), and the status it must get. */
const REQUEST_ERRORS: Array<{
  name: string;
  request: (accept: string) => RequestInit & { path?: string };
  status: number;
  message: RegExp;
}> = [
  { name: 'a syntax error', request: (a) => json(a, { query: '{ getEntity(' }), status: 400, message: /^Syntax Error/ },
  {
    name: 'an unknown field',
    request: (a) => json(a, { query: '{ getEntity(input: {domain: "d", type: "t", key: "k"}) { nope } }' }),
    status: 400,
    message: /Cannot query field "nope"/,
  },
  {
    name: 'a fragment cycle',
    request: (a) =>
      json(a, {
        query:
          '{ getEntity(input: {domain: "d", type: "t", key: "k"}) { ...A } } fragment A on Entity { key ...B } fragment B on Entity { key ...A }',
      }),
    status: 400,
    message: /Cannot spread fragment "A" within itself/,
  },
  { name: 'an empty object {}', request: (a) => json(a, {}), status: 400, message: /Must provide query string/ },
  { name: 'invalid JSON', request: (a) => json(a, '{"query": '), status: 400, message: /invalid JSON/ },
  {
    name: 'a JSON string body',
    request: (a) => json(a, '"{ __typename }"'),
    status: 400,
    message: /expected to be object/,
  },
  {
    name: 'a batch',
    request: (a) => json(a, [{ query: '{ __typename }' }]),
    status: 400,
    message: /Batching is not supported/,
  },
  {
    name: 'a query that is no string',
    request: (a) => json(a, { query: 42 }),
    status: 400,
    message: /"query" param to be a string/,
  },
  {
    name: 'variables that are no object',
    request: (a) => json(a, { query: '{ __typename }', variables: [1] }),
    status: 400,
    message: /"variables" param/,
  },
  {
    name: 'an unknown operationName',
    request: (a) => json(a, { query: 'query A { __typename }', operationName: 'B' }),
    status: 400,
    message: /Could not determine what operation to execute/,
  },
  {
    name: 'a missing required variable',
    request: (a) => json(a, { query: 'query ($i: EntityRefInput!) { getEntity(input: $i) { key } }' }),
    status: 400,
    message: /Variable "\$i" of required type/,
  },
  {
    name: 'an unknown parameter',
    request: (a) => json(a, { query: '{ __typename }', extra: 1 }),
    status: 400,
    message: /Unexpected parameter "extra"/,
  },
  {
    name: 'a mutation over GET',
    request: (a) => ({
      method: 'GET',
      headers: { accept: a },
      path: `?query=${encodeURIComponent(MUTATION)}`,
    }),
    status: 405,
    message: /mutation operation from a POST request/,
  },
  {
    name: 'GET variables that are not JSON',
    request: (a) => ({
      method: 'GET',
      headers: { accept: a },
      path: `?query=${encodeURIComponent('query ($n: Int) { __typename }')}&variables=${encodeURIComponent('{n: 1')}`,
    }),
    status: 400,
    message: /the variables parameter is not valid JSON/,
  },
  {
    name: 'a PUT',
    request: (a) => ({ method: 'PUT', headers: { 'content-type': 'application/json', accept: a }, body: '{}' }),
    status: 405,
    message: /only supports GET and POST/,
  },
  {
    name: 'a form-encoded mutation (CSRF)',
    request: (a) =>
      post(`query=${encodeURIComponent(MUTATION)}`, { 'content-type': 'application/x-www-form-urlencoded', accept: a }),
    status: 415,
    message: /must be application\/json, not "application\/x-www-form-urlencoded"/,
  },
  {
    name: 'a multipart mutation (CSRF)',
    request: (a) =>
      post(
        `--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: MUTATION })}\r\n--b--\r\n`,
        {
          'content-type': 'multipart/form-data; boundary=b',
          accept: a,
        },
      ),
    status: 415,
    message: /not "multipart\/form-data; boundary=b"/,
  },
  {
    name: 'a text/plain mutation (CSRF)',
    request: (a) => post(JSON.stringify({ query: MUTATION }), { 'content-type': 'text/plain', accept: a }),
    status: 415,
    message: /not "text\/plain"/,
  },
  {
    name: 'a mutation without content type',
    request: (a) => ({ method: 'POST', headers: { accept: a }, body: new Blob([JSON.stringify({ query: MUTATION })]) }),
    status: 415,
    message: /not no content type/,
  },
  {
    name: 'an application/graphql mutation without the CSRF header',
    request: (a) => post(MUTATION, { 'content-type': 'application/graphql', accept: a }),
    status: 415,
    message: /x-graphql-yoga-csrf/,
  },
];

describe('GraphQL request errors: one status and code for every client', () => {
  let server: TestServer;
  let store: ReturnType<typeof openStore>;
  beforeAll(async () => {
    server = await startTestServer();
    store = openStore(server);
  });
  afterAll(async () => {
    store.close();
    await server.close();
  });

  describe.each(['application/json', 'application/graphql-response+json'])('accepting %s', (accept) => {
    it.each(REQUEST_ERRORS)(
      'answers $name with $status INVALID_ARGUMENT, changing nothing',
      async ({ request, status, message }) => {
        const before = store.state();
        const { path, ...init } = request(accept);
        const res = await send(`${server.httpUrl}${path ?? ''}`, init);
        expect({ status: res.status, code: res.code }).toEqual({ status, code: 'INVALID_ARGUMENT' });
        expect(res.message).toMatch(message);
        expect(res.body.data).toBeUndefined();
        // Nothing internal: no stack, no parser error, no Yoga `http` extension.
        expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(js|ts):\d+|originalError|"http"|stack/);
        expect(Object.keys(res.body.errors?.[0]?.extensions ?? {})).toEqual(['code']);
        expect(store.state()).toEqual(before);
      },
    );
  });

  it('names the allowed methods: Allow: POST for a mutation over GET, GET, POST for a PUT', async () => {
    const get = await send(`${server.httpUrl}?query=${encodeURIComponent(MUTATION)}`, {
      headers: { accept: 'application/json' },
    });
    expect(get.headers.get('allow')).toBe('POST');
    const put = await send(server.httpUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it('runs a non-JSON POST that carries the CSRF-safe header x-graphql-yoga-csrf', async () => {
    const res = await send(
      server.httpUrl,
      post(`query=${encodeURIComponent(MUTATION)}`, {
        'content-type': 'application/x-www-form-urlencoded',
        'x-graphql-yoga-csrf': '1',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { setEntity: true } });
    const graphql = await send(
      server.httpUrl,
      post('{ __typename }', { 'content-type': 'application/graphql', 'x-graphql-yoga-csrf': '1' }),
    );
    expect(graphql.body).toEqual({ data: { __typename: 'Query' } });
    // With the header, a body type no GraphQL parser reads is still 415.
    const text = await send(server.httpUrl, post('{}', { 'content-type': 'text/plain', 'x-graphql-yoga-csrf': '1' }));
    expect({ status: text.status, code: text.code }).toEqual({ status: 415, code: 'INVALID_ARGUMENT' });
  });

  it('serves queries over GET, and JSON POSTs with parameters in the content type', async () => {
    const get = await send(`${server.httpUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(get).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    const res = await send(
      server.httpUrl,
      post('{"query":"{ __typename }"}', { 'content-type': 'application/json; charset=utf-8' }),
    );
    expect(res).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    // Matched as Yoga's parsers match it, exactly: what they would not read is refused with a reason.
    const odd = await send(server.httpUrl, post('{"query":"{ __typename }"}', { 'content-type': 'Application/JSON' }));
    expect({ status: odd.status, code: odd.code, message: odd.message }).toEqual({
      status: 415,
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/not "Application\/JSON"/),
    });
  });

  it('keeps execution errors at 200 with errors and data null (NOT_FOUND, core INVALID_ARGUMENT)', async () => {
    const missing = await send(
      server.httpUrl,
      json('application/json', { query: `{ getEntity(input: {domain: "${D}", type: "user", key: "none"}) { key } }` }),
    );
    expect({ status: missing.status, code: missing.code, data: missing.body.data }).toEqual({
      status: 200,
      code: 'NOT_FOUND',
      data: null,
    });
    const limit = await send(
      server.httpUrl,
      json('application/json', {
        query: `{ searchEntities(input: {domain: "${D}", type: "user", limit: 0}) { entities { key } } }`,
      }),
    );
    expect({ status: limit.status, code: limit.code, data: limit.body.data }).toEqual({
      status: 200,
      code: 'INVALID_ARGUMENT',
      data: null,
    });
  });
});

describe('GraphQL: operations refused because of the caller', () => {
  it('answers UNAUTHENTICATED with 401 and a Bearer challenge, for no token and for a bad one', async () => {
    const jwks = await startJwksServer();
    const server = await startTestServer({ STATEGATE_JWKS_URI: jwks.url });
    try {
      const none = await send(server.httpUrl, json('application/json', { query: MUTATION }));
      expect({ status: none.status, code: none.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="stategate"');
      const bad = await send(server.httpUrl, {
        ...json('application/graphql-response+json', { query: MUTATION }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.token' },
      });
      expect({ status: bad.status, code: bad.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm="stategate", error="invalid_token"/);
      const token = await jwks.sign({ sub: 'alice' });
      const ok = await send(server.httpUrl, {
        ...json('application/json', { query: MUTATION }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      expect(ok).toMatchObject({ status: 200, body: { data: { setEntity: true } } });
    } finally {
      await server.close();
      await jwks.close();
    }
  });

  it('answers a rate-limited operation with 429 and Retry-After in whole seconds', async () => {
    const server = await startTestServer({ STATEGATE_RATE_LIMIT_RPS: '1', STATEGATE_RATE_LIMIT_BURST: '1' });
    try {
      const query = {
        query: `{ searchEntities(input: {domain: "${D}", type: "user", limit: 1}) { entities { key } } }`,
      };
      const first = await send(server.httpUrl, json('application/json', query));
      expect(first.status).toBe(200);
      const second = await send(server.httpUrl, json('application/json', query));
      expect({ status: second.status, code: second.code }).toEqual({ status: 429, code: 'RESOURCE_EXHAUSTED' });
      expect(second.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(second.body.data).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('keeps PERMISSION_DENIED at 200 with errors (an execution error, as GraphQL over HTTP has it)', async () => {
    const deny = Buffer.from('package stategate.authz\n\ndefault allow := false\n').toString('base64');
    const server = await startTestServer({ STATEGATE_REQUEST_POLICY: deny });
    const store = openStore(server);
    try {
      const before = store.state();
      const res = await send(server.httpUrl, json('application/json', { query: MUTATION }));
      expect({ status: res.status, code: res.code, data: res.body.data }).toEqual({
        status: 200,
        code: 'PERMISSION_DENIED',
        data: null,
      });
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(store.state()).toEqual(before);
    } finally {
      store.close();
      await server.close();
    }
  });
});
