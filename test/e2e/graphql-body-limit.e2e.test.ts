import { request } from 'node:http';
import { gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** POSTs a body in chunks without Content-Length (Transfer-Encoding: chunked). */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const LIMIT = 64 * 1024;

describe('GraphQL request bodies are bounded by STATEGATE_MAX_BODY_BYTES', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(LIMIT) });
  });
  afterAll(() => server.close());

  const bigSet = () =>
    JSON.stringify({
      query: 'mutation($v: JSON!) { setEntity(input: {domain: "d", type: "t", key: "big", values: $v}) }',
      variables: { v: { blob: 'x'.repeat(LIMIT) } },
    });

  it('refuses a declared Content-Length over the limit with 413 RESOURCE_EXHAUSTED and writes nothing', async () => {
    const res = await fetch(server.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bigSet(),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('RESOURCE_EXHAUSTED');
    const get = await gql(server.httpUrl, '{ getEntity(input: {domain: "d", type: "t", key: "big"}) { version } }');
    expect(get.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses a chunked body once it passes the limit, and writes nothing', async () => {
    const body = bigSet();
    const res = await postChunked(server.httpUrl, [body.slice(0, 1000), body.slice(1000)]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('RESOURCE_EXHAUSTED');
    const get = await gql(server.httpUrl, '{ getEntity(input: {domain: "d", type: "t", key: "big"}) { version } }');
    expect(get.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('serves a chunked body within the limit', async () => {
    const body = JSON.stringify({
      query: 'mutation { setEntity(input: {domain: "d", type: "t", key: "small", values: {a: 1}}) }',
    });
    const res = await postChunked(server.httpUrl, [body.slice(0, 10), body.slice(10)]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { setEntity: true } });
  });

  it('answers malformed chunked JSON with 400 INVALID_ARGUMENT', async () => {
    const res = await postChunked(server.httpUrl, ['{"query": ', '"{ x']);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('INVALID_ARGUMENT');
  });
});
