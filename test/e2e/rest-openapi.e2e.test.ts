/**
 * GET /api/openapi.json: an OpenAPI 3.1 document that a validator accepts and that lists every rpc's
 * http rule (read here straight from the proto descriptors, not from the REST router).
 */
import { getOption } from '@bufbuild/protobuf';
import { validate } from '@readme/openapi-parser';
import { http } from '../../src/generated/google/api/annotations_pb.js';
import { rpcMethodList } from '../../src/transports/proto/index.js';
import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in assertions
type Json = Record<string, any>;

let server: TestServer;
let doc: Json;
beforeAll(async () => {
  server = await startTestServer();
  const res = await rest(server.app.url, '/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = res.body as Json;
});
afterAll(async () => {
  await server?.close();
});

/** Every rpc's verb and path as its google.api.http rule writes them. */
const rules = rpcMethodList.map((rpc) => {
  const { pattern, body } = getOption(rpc.descriptor, http);
  return { rpc, verb: String(pattern.case), path: String(pattern.value), body };
});

const operation = (verb: string, path: string): Json => doc.paths[path][verb];

describe('the OpenAPI document', () => {
  it('passes an OpenAPI 3.1 validator', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result).toEqual({ valid: true, warnings: [], specification: 'OpenAPI' });
  });

  it('lists exactly the verb and path of every rpc, each naming its gRPC method', () => {
    const listed = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
      Object.entries(item).map(([verb, op]) => ({ verb, path, method: (op as Json)['x-grpc-method'] })),
    );
    expect(listed.sort((a, b) => a.method.localeCompare(b.method))).toEqual(
      rules
        .map(({ rpc, verb, path }) => ({ verb, path, method: rpc.path }))
        .sort((a, b) => a.method.localeCompare(b.method)),
    );
    const ids = listed.map(({ verb, path }) => operation(verb, path).operationId);
    expect(new Set(ids).size).toBe(rules.length);
  });

  it('declares path parameters, query parameters for GET/DELETE and a body for the rest', () => {
    for (const { rpc, verb, path, body } of rules) {
      const op = operation(verb, path);
      const pathVars = [...path.matchAll(/\{([^}=]+)/g)].map((m) => m[1]);
      const params = (op.parameters as Json[]) ?? [];
      expect({ rpc: rpc.path, inPath: params.filter((p) => p.in === 'path').map((p) => p.name) }).toEqual({
        rpc: rpc.path,
        inPath: pathVars,
      });
      if (body === '*') {
        const schema = op.requestBody.content['application/json'].schema;
        const expected = rpc.input.fields.filter((f) => !pathVars.includes(f.name)).map((f) => f.jsonName);
        expect({ rpc: rpc.path, fields: Object.keys(schema.properties) }).toEqual({ rpc: rpc.path, fields: expected });
      } else {
        expect(op.requestBody).toBeUndefined();
      }
      expect(op.responses.default).toEqual({ $ref: '#/components/responses/Error' });
      expect(op.description).toBeTruthy();
    }
    const search = operation('get', '/api/entity/search');
    expect((search.parameters as Json[]).map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:domain',
      'query:type',
      'query:query_string',
      'query:limit',
      'query:offset',
      'query:sort.field',
      'query:sort.reverse',
    ]);
    const stream = operation('get', '/api/events/stream');
    expect(stream.parameters).toContainEqual(expect.objectContaining({ name: 'Last-Event-ID', in: 'header' }));
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream', 'application/x-ndjson']);
  });

  it('writes protojson types: int64 as strings, Struct as object, Value as any, Timestamp as date-time', () => {
    const schemas = doc.components.schemas as Json;
    expect(schemas['stategate.Event'].properties.time).toMatchObject({ type: 'string', format: 'int64' });
    expect(schemas['stategate.Event'].properties.entity).toMatchObject({
      $ref: '#/components/schemas/stategate.Entity',
    });
    expect(schemas['stategate.Entity'].properties.values).toMatchObject({ type: 'object', additionalProperties: true });
    expect(schemas['stategate.Entity'].properties.version).toMatchObject({ type: 'string', format: 'int64' });
    expect(schemas['stategate.Cache'].properties.value.type).toBeUndefined();
    expect(schemas['stategate.Cache'].properties.exp).toMatchObject({ type: 'string', format: 'date-time' });
    expect(schemas['stategate.Entities'].properties.entities).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/stategate.Entity' },
    });
    expect(schemas['google.rpc.Status'].required).toEqual(['code', 'message', 'details']);
    // The proto's comments describe messages and fields.
    expect(schemas['stategate.Event'].properties.position.description).toMatch(/global log/);
  });

  it('answers 405 to another verb', async () => {
    const res = await rest(server.app.url, '/api/openapi.json', { method: 'POST', body: {} });
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ code: 12, message: expect.any(String), details: [] });
  });
});
