import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { create, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import {
  ServerReflection,
  ServerReflectionRequestSchema,
} from '../../src/generated/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../src/generated/grpc/reflection/v1alpha/reflection_pb.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { eventSubscribers, uid, until } from './helpers.js';

/**
 * gRPC server reflection and health, as tools see them: grpcurl (an independent Go client, pinned and
 * installed by scripts/install-tools.sh) lists, describes and calls; connect-es checks the answers in detail.
 */

const run = promisify(execFile);

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** grpcurl on PATH or in $(go env GOPATH)/bin; the test fails (never skips) without it. */
async function findGrpcurl(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'grpcurl'))) return join(dir, 'grpcurl');
  }
  const gopath = await run('go', ['env', 'GOPATH']).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const candidate = gopath && join(gopath, 'bin', 'grpcurl');
  if (candidate && executable(candidate)) return candidate;
  throw new Error('grpcurl not found on PATH or in $(go env GOPATH)/bin: run scripts/install-tools.sh');
}

const SERVICES = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
  'stategate.CacheService',
  'stategate.EntityService',
  'stategate.EventService',
  'stategate.MutexService',
  'stategate.PeerService',
  'stategate.TriggerService',
];

let server: TestServer;
let address: string;
let grpcurlBin: string;

beforeAll(async () => {
  grpcurlBin = await findGrpcurl();
  server = await startTestServer();
  address = server.app.url.replace(/^http:\/\//, '');
});

afterAll(async () => {
  await server?.close();
});

/** Runs `grpcurl -plaintext FLAGS… ADDRESS ARGS…`; resolves with its exit code and output, also on failure. */
async function grpcurl(flags: string[], ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(grpcurlBin, ['-plaintext', ...flags, address, ...args], { timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );
}

describe('grpcurl', () => {
  it('list: the six stategate services, health and reflection', async () => {
    const res = await run(grpcurlBin, ['-plaintext', address, 'list']);
    expect(res.stdout.trim().split('\n')).toEqual(SERVICES);
  });

  it('describe stategate.EntityService: every rpc with its types and http rule', async () => {
    const res = await run(grpcurlBin, ['-plaintext', address, 'describe', 'stategate.EntityService']);
    expect(res.stdout).toContain('stategate.EntityService is a service:');
    for (const rpc of [
      'rpc Set ( .stategate.Entity ) returns ( .google.protobuf.Empty )',
      'rpc Edit ( .stategate.Entity ) returns ( .stategate.Entity )',
      'rpc Revert ( .stategate.EventRef ) returns ( .stategate.Entity )',
      'rpc Get ( .stategate.EntityRef ) returns ( .stategate.Entity )',
      'rpc Del ( .stategate.EntityRef ) returns ( .google.protobuf.Empty )',
      'rpc Search ( .stategate.SearchEntityOpts ) returns ( .stategate.Entities )',
    ]) {
      expect(res.stdout).toContain(rpc);
    }
    expect(res.stdout).toContain('post: "/api/entity/ref/{domain}/{type}/{key}"');
  });

  it('describe a message resolves its imports (google.protobuf.Struct)', async () => {
    const entity = await run(grpcurlBin, ['-plaintext', address, 'describe', 'stategate.Entity']);
    expect(entity.stdout).toContain('.google.protobuf.Struct values = 4;');
    const struct = await run(grpcurlBin, ['-plaintext', address, 'describe', 'google.protobuf.Struct']);
    expect(struct.stdout).toContain('map<string, .google.protobuf.Value> fields = 1;');
  });

  it('describe of an unknown symbol fails: not found', async () => {
    const res = await grpcurl([], 'describe', 'stategate.Nope');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/Symbol not found: stategate\.Nope/i);
  });

  it('calls EntityService/Set and Get with JSON, and streams events', async () => {
    const key = uid();
    const type = uid('grpcurl');
    const entity = { domain: 'e2e-grpcurl', type, key };
    const set = await grpcurl(
      ['-d', JSON.stringify({ ...entity, values: { hello: 'grpcurl' } })],
      'stategate.EntityService/Set',
    );
    expect(set).toMatchObject({ code: 0, stdout: '{}\n' });
    const got = await grpcurl(['-d', JSON.stringify(entity)], 'stategate.EntityService/Get');
    expect(JSON.parse(got.stdout)).toEqual({ ...entity, values: { hello: 'grpcurl' }, version: '1' });

    // Stream: resume from 0 (replays the Set), then live; grpcurl stops at -max-time. At that deadline grpcurl
    // exits 0 or with DeadlineExceeded depending on timing; either way the stream must have lasted that long.
    const started = Date.now();
    const streaming = grpcurl(
      ['-max-time', '5', '-d', JSON.stringify({ domain: 'e2e-grpcurl', type, after: '0' })],
      'stategate.EventService/Stream',
    );
    await until(() => eventSubscribers(server) > 0, 'the grpcurl stream is open');
    await grpcurl(['-d', JSON.stringify({ ...entity, values: { hello: 'again' } })], 'stategate.EntityService/Set');
    const streamed = await streaming;
    expect({
      lastedUntilDeadline: Date.now() - started >= 4_500,
      ended: streamed.code === 0 ? 'ok' : streamed.stderr.match(/DeadlineExceeded/)?.[0],
    }).toEqual({ lastedUntilDeadline: true, ended: expect.stringMatching(/^(ok|DeadlineExceeded)$/) });
    const events = streamed.stdout
      .split(/\n(?=\{)/)
      .filter((chunk) => chunk.trim() !== '')
      .map((chunk) => JSON.parse(chunk) as { entity: { values: unknown; version: string }; method: string });
    expect(events.map((e) => [e.entity.values, e.entity.version, e.method])).toEqual([
      [{ hello: 'grpcurl' }, '1', '/stategate.EntityService/Set'],
      [{ hello: 'again' }, '2', '/stategate.EntityService/Set'],
    ]);
  });

  it('checks health: SERVING', async () => {
    const all = await grpcurl([], 'grpc.health.v1.Health/Check');
    expect(JSON.parse(all.stdout)).toEqual({ status: 'SERVING' });
    const one = await grpcurl(['-d', '{"service": "stategate.EventService"}'], 'grpc.health.v1.Health/Check');
    expect(JSON.parse(one.stdout)).toEqual({ status: 'SERVING' });
  });
});

describe('the reflection answers in detail (connect-es client, v1 and v1alpha)', () => {
  let sessionManager: Http2SessionManager;
  beforeAll(() => {
    sessionManager = new Http2SessionManager(server.app.url);
  });
  afterAll(() => sessionManager.abort());

  type Request = MessageInitShape<typeof ServerReflectionRequestSchema>['messageRequest'];
  async function reflect(requests: Request[]) {
    const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: server.app.url, sessionManager }));
    async function* send() {
      for (const messageRequest of requests) yield create(ServerReflectionRequestSchema, { messageRequest });
    }
    const answers = [];
    for await (const answer of client.serverReflectionInfo(send())) answers.push(answer);
    return answers;
  }
  const fileNames = (answer: Awaited<ReturnType<typeof reflect>>[number]) =>
    answer.messageResponse.case === 'fileDescriptorResponse'
      ? answer.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
      : [];

  it('answers each request of one stream, in order', async () => {
    const answers = await reflect([
      { case: 'listServices', value: '' },
      { case: 'fileContainingSymbol', value: 'stategate.EntityService.Set' },
      { case: 'fileByFilename', value: 'google/protobuf/struct.proto' },
      { case: 'fileContainingSymbol', value: 'stategate.Nope' },
      { case: 'fileByFilename', value: 'nope.proto' },
    ]);
    expect(answers).toHaveLength(5);
    const listed = answers[0]?.messageResponse;
    expect(listed?.case === 'listServicesResponse' && listed.value.service.map((s) => s.name).sort()).toEqual(SERVICES);
    // The file first, then everything it imports, transitively.
    expect(fileNames(answers[1]!)).toEqual([
      'stategate.proto',
      'google/api/annotations.proto',
      'google/api/http.proto',
      'google/protobuf/descriptor.proto',
      'google/protobuf/empty.proto',
      'google/protobuf/struct.proto',
      'google/protobuf/timestamp.proto',
    ]);
    expect(fileNames(answers[2]!)).toEqual(['google/protobuf/struct.proto']);
    for (const answer of answers.slice(3)) {
      expect(answer.messageResponse).toMatchObject({ case: 'errorResponse', value: { errorCode: Code.NotFound } });
    }
    expect(answers[3]?.originalRequest?.messageRequest).toEqual({
      case: 'fileContainingSymbol',
      value: 'stategate.Nope',
    });
  });

  it('finds messages, nested enums, fields and the google.api.http extension', async () => {
    const answers = await reflect([
      { case: 'fileContainingSymbol', value: 'grpc.health.v1.HealthCheckResponse.ServingStatus' },
      { case: 'fileContainingSymbol', value: 'stategate.Entity.values' },
      {
        case: 'fileContainingExtension',
        value: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 72295728 },
      },
      { case: 'allExtensionNumbersOfType', value: 'google.protobuf.MethodOptions' },
    ]);
    expect(fileNames(answers[0]!)[0]).toBe('grpc/health/v1/health.proto');
    expect(fileNames(answers[1]!)[0]).toBe('stategate.proto');
    expect(fileNames(answers[2]!)[0]).toBe('google/api/annotations.proto');
    expect(answers[3]?.messageResponse).toMatchObject({
      case: 'allExtensionNumbersResponse',
      value: { baseTypeName: 'google.protobuf.MethodOptions', extensionNumber: [72295728] },
    });
  });

  it('v1alpha answers the same', async () => {
    const client = createClient(
      v1alpha.ServerReflection,
      createGrpcTransport({ baseUrl: server.app.url, sessionManager }),
    );
    async function* send() {
      yield create(v1alpha.ServerReflectionRequestSchema, { messageRequest: { case: 'listServices', value: '*' } });
    }
    const answers = [];
    for await (const answer of client.serverReflectionInfo(send())) answers.push(answer);
    expect(answers).toHaveLength(1);
    const names =
      answers[0]?.messageResponse.case === 'listServicesResponse'
        ? answers[0].messageResponse.value.service.map((s) => s.name).sort()
        : [];
    expect(names).toEqual(SERVICES);
  });
});
