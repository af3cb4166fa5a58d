import { create, getOption, hasOption } from '@bufbuild/protobuf';
import { StategateError } from '../../src/core/errors.js';
import type { Event } from '../../src/core/model.js';
import { http } from '../../src/generated/google/api/annotations_pb.js';
import { PeerMessageSchema } from '../../src/generated/stategate_pb.js';
import { createGraphqlServer, type GraphqlServer } from '../../src/server/graphql.js';
import { rpcMethodList } from '../../src/transports/proto/index.js';
import {
  compilePathTemplate,
  createRouter,
  errorAnswer,
  httpStatusOf,
  restRoutes,
  useRest,
} from '../../src/transports/rest/index.js';
import { streamResponse } from '../../src/transports/rest/stream.js';
import { createFakeApi, type FakeApi, FakeSubscription } from './support/fake-api.js';

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('path templates', () => {
  it('binds one segment per variable, percent-decoded, and only whole paths', () => {
    const t = compilePathTemplate('/api/entity/ref/{domain}/{type}/{key}');
    expect(t.variables).toEqual(['domain', 'type', 'key']);
    expect(t.openapiPath).toBe('/api/entity/ref/{domain}/{type}/{key}');
    expect(t.match('/api/entity/ref/acc/user/a%2Fb%40c')).toEqual({ domain: 'acc', type: 'user', key: 'a/b@c' });
    expect(t.match('/api/entity/ref/acc/user')).toBeUndefined();
    expect(t.match('/api/entity/ref/acc/user/k/revert')).toBeUndefined();
    // An empty variable still matches: core, not the router, refuses the empty name.
    expect(t.match('/api/entity/ref/acc//k')).toEqual({ domain: 'acc', type: '', key: 'k' });
    expect(t.match('/xapi/entity/ref/a/b/c')).toBeUndefined();
  });

  it('knows nested field paths, = patterns, ** and a custom verb', () => {
    const t = compilePathTemplate('/v1/{sort.field=things/*}/{rest=**}:run');
    expect(t.variables).toEqual(['sort.field', 'rest']);
    expect(t.openapiPath).toBe('/v1/{sort.field}/{rest}:run');
    expect(t.match('/v1/things/x/a/b%20c:run')).toEqual({ 'sort.field': 'things/x', rest: 'a/b c' });
    expect(t.match('/v1/other/x/a:run')).toBeUndefined();
  });

  it('refuses malformed templates and malformed percent-encoding', () => {
    expect(() => compilePathTemplate('api/x')).toThrow(/must start with/);
    expect(() => compilePathTemplate('/api/{x')).toThrow(/unclosed/);
    expect(() => compilePathTemplate('/api/{1x}')).toThrow(/bad variable/);
    expect(() => compilePathTemplate('/api/a b')).toThrow(/bad segment/);
    const t = compilePathTemplate('/api/{key}');
    expect(() => t.match('/api/%E0%A4%A')).toThrow(StategateError);
  });
});

describe('routes from the proto', () => {
  it("has exactly one route per rpc, each its http rule's verb and path", () => {
    const routes = restRoutes();
    const fromRules = rpcMethodList
      .filter((rpc) => hasOption(rpc.descriptor, http))
      .map((rpc) => {
        const { pattern, body } = getOption(rpc.descriptor, http);
        return { rpc: rpc.path, verb: String(pattern.case).toUpperCase(), path: String(pattern.value), body };
      });
    expect(fromRules).toHaveLength(rpcMethodList.length);
    expect(routes.map((r) => ({ rpc: r.rpc.path, verb: r.verb, path: r.template.source, body: r.body }))).toEqual(
      fromRules,
    );
  });

  it('finds a route by verb and path, or tells a wrong verb from no route', () => {
    const router = createRouter(restRoutes());
    const found = router.lookup('PATCH', '/api/entity/ref/a/b/c');
    expect(found.kind === 'found' && [found.route.rpc.path, found.params]).toEqual([
      '/stategate.EntityService/Edit',
      { domain: 'a', type: 'b', key: 'c' },
    ]);
    const revert = router.lookup('PUT', '/api/entity/ref/a/b/c/revert');
    expect(revert.kind === 'found' && revert.route.rpc.path).toBe('/stategate.EntityService/Revert');
    expect(router.lookup('PUT', '/api/entity/ref/a/b/c')).toEqual({
      kind: 'wrong-verb',
      allowed: ['POST', 'PATCH', 'GET', 'DELETE'],
    });
    expect(router.lookup('GET', '/api/entity/nope')).toEqual({ kind: 'none' });
  });
});

describe('errors', () => {
  it('maps every gRPC code to its HTTP status (google.rpc.Code)', () => {
    expect(httpStatusOf).toEqual({
      CANCELLED: 499,
      UNKNOWN: 500,
      INVALID_ARGUMENT: 400,
      DEADLINE_EXCEEDED: 504,
      NOT_FOUND: 404,
      ALREADY_EXISTS: 409,
      PERMISSION_DENIED: 403,
      RESOURCE_EXHAUSTED: 429,
      FAILED_PRECONDITION: 400,
      ABORTED: 409,
      OUT_OF_RANGE: 400,
      UNIMPLEMENTED: 501,
      INTERNAL: 500,
      UNAVAILABLE: 503,
      DATA_LOSS: 500,
      UNAUTHENTICATED: 401,
    });
  });

  it('masks anything but a coded error and logs it whole', () => {
    const log = recordingLogger();
    const boom = new Error('db password is hunter2');
    expect(errorAnswer(boom, log.logger, 'GET /x')).toEqual({
      status: 500,
      body: { code: 13, message: 'internal error', details: [] },
      headers: {},
    });
    expect(log.lines).toEqual([{ level: 'error', obj: { err: boom, where: 'GET /x' }, msg: 'rest: unexpected error' }]);
    expect(errorAnswer(new StategateError('PERMISSION_DENIED', 'no'), log.logger, 'x').status).toBe(403);
  });
});

describe('useRest on Yoga (in process, fake core)', () => {
  let fake: FakeApi;
  let server: GraphqlServer;
  let log: ReturnType<typeof recordingLogger>;
  const url = (path: string) => `http://localhost${path}`;

  beforeEach(() => {
    fake = createFakeApi();
    log = recordingLogger();
    server = createGraphqlServer({
      api: fake.api,
      logger: log.logger,
      plugins: [useRest({ api: fake.api, logger: log.logger, keepAliveMs: 30 })],
    });
  });

  it("calls core with transport 'rest', the Authorization header and lower-cased headers as metadata", async () => {
    const res = await server.yoga.fetch(url('/api/entity/ref/acc/user/k'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: 'Bearer abc', 'X-Request-Id': 'r1' },
      body: JSON.stringify({ values: { a: 1 }, version: '-1' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const [call] = fake.callsOf('entities.set');
    expect(call?.ctx).toMatchObject({
      transport: 'rest',
      authorization: 'Bearer abc',
      metadata: expect.objectContaining({ authorization: 'Bearer abc', 'x-request-id': 'r1' }),
    });
    expect(call?.input).toEqual({ domain: 'acc', type: 'user', key: 'k', values: { a: 1 }, version: -1 });
  });

  it('reads query parameters by proto or JSON name, nested with dots, typed per field', async () => {
    const res = await server.yoga.fetch(
      url(
        '/api/events/search?domain=d&type=t&queryString=%7B%7D&limit=5&offset=2&min=10&max=20&after=3&sort.field=time&sort.reverse=true',
      ),
    );
    expect(res.status).toBe(200);
    expect(fake.callsOf('events.search')[0]?.input).toEqual({
      domain: 'd',
      type: 't',
      queryString: '{}',
      limit: 5,
      offset: 2,
      min: 10n,
      max: 20n,
      after: 3,
      sort: { field: 'time', reverse: true },
    });
  });

  it('masks an unexpected core failure as 500 internal error and logs it', async () => {
    fake.failNext(new TypeError('cannot read x of undefined'));
    const res = await server.yoga.fetch(url('/api/cache/ref/d/k'));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 13, message: 'internal error', details: [] });
    expect(log.lines.some((l) => l.level === 'error' && l.obj.err instanceof TypeError)).toBe(true);
  });

  it('leaves /api/graphql to GraphQL', async () => {
    const res = await server.yoga.fetch(url('/api/graphql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('sends SSE keep-alive comments while a stream is idle, and an error item when core ends it', async () => {
    const res = await server.yoga.fetch(url('/api/events/stream?domain=d'), {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (what: string) => {
      while (!text.includes(what)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`ended before ${what}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(': keep-alive\n\n');
    const sub = fake.eventStreams[0]!;
    const event: Event = {
      id: '00000000-0000-4000-8000-000000000001',
      entity: { domain: 'd', type: 't', key: 'k', values: {}, version: 1 },
      claims: {},
      time: 5n,
      method: '/stategate.EntityService/Set',
      position: 42,
    };
    sub.push(event);
    await readUntil('id: 42\ndata: {');
    sub.fail(new StategateError('RESOURCE_EXHAUSTED', 'too slow: resume'));
    await readUntil('event: error\n');
    await readUntil('\n\n');
    expect(text.slice(text.indexOf('event: error'))).toBe(
      'event: error\ndata: {"code":8,"message":"too slow: resume","details":[]}\n\n',
    );
    expect((await reader.read()).done).toBe(true);
    expect(sub.closed).toBe(true);
  });

  it('closes the core subscription when the client cancels the body', async () => {
    const res = await server.yoga.fetch(url('/api/peers/stream'));
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const sub = fake.messageStreams[0]!;
    const deadline = Date.now() + 2000;
    while (!sub.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sub.closed).toBe(true);
  });
});

describe('streamResponse with the platform Response', () => {
  it('streams NDJSON through a ReadableStream and closes the subscription on cancel', async () => {
    const sub = new FakeSubscription<ReturnType<typeof create<typeof PeerMessageSchema>>>();
    const res = streamResponse({
      fetchAPI: { Response, ReadableStream },
      subscription: sub,
      schema: PeerMessageSchema,
      format: 'ndjson',
      keepAliveMs: 1000,
      signal: new AbortController().signal,
      logger: recordingLogger().logger,
      where: 'test',
    });
    sub.push(create(PeerMessageSchema, { id: 'm1', domain: 'd', time: 7n }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.endsWith('\n')) text += decoder.decode((await reader.read()).value);
    expect(JSON.parse(text)).toEqual({ id: 'm1', domain: 'd', time: '7' });
    await reader.cancel();
    expect(sub.closed).toBe(true);
  });
});
