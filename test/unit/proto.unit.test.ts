import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type DescField, type DescMessage, getOption, ScalarType } from '@bufbuild/protobuf';
import { http } from '../../src/generated/google/api/annotations_pb.js';
import { file_stategate } from '../../src/generated/stategate_pb.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'node_modules', '.bin');
/** buf finds the local protoc-gen-es plugin on PATH, as it does under `npm run`. */
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
const buf = (args: string[]) => run(join(bin, 'buf'), args, { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('proto code generation', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'stategate-proto-'));
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('src/generated is what `buf generate` makes from proto/ (else: run npm run proto:gen)', async () => {
    await buf(['generate', '--output', tmp]);
    const fresh = join(tmp, 'src', 'generated');
    const checkedIn = join(root, 'src', 'generated');
    const stale = 'src/generated is stale: run npm run proto:gen';

    expect({ files: await listFiles(checkedIn), stale }).toEqual({ files: await listFiles(fresh), stale });
    for (const file of await listFiles(fresh)) {
      const [want, got] = await Promise.all([
        readFile(join(fresh, file), 'utf8'),
        readFile(join(checkedIn, file), 'utf8'),
      ]);
      expect({ file, upToDate: got === want, stale }).toEqual({ file, upToDate: true, stale });
    }
  });

  it('passes buf lint', async () => {
    await expect(buf(['lint'])).resolves.toBeDefined();
  });

  it("is wire- and JSON-compatible with the original's proto, except Lock's answer (Empty → MutexLease)", async () => {
    const original = join(tmp, 'original');
    await mkdir(original, { recursive: true });
    await copyFile(join(root, 'test/fixtures/stategate_original.proto'), join(original, 'stategate.proto'));
    const result = await buf([
      'breaking',
      '.',
      '--against',
      original,
      '--against-config',
      '{"version":"v2","breaking":{"use":["WIRE_JSON"]}}',
      '--error-format',
      'json',
    ]).then(
      () => ({ stdout: '' }),
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }),
    );
    const findings = result.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { type: string; message: string });
    // An original client reads a MutexLease as Empty: it skips the unknown fields.
    expect(findings).toEqual([
      expect.objectContaining({
        type: 'RPC_SAME_RESPONSE_TYPE',
        message: expect.stringContaining('"Lock" on service "MutexService"'),
      }),
    ]);
  });
});

/** A field's type as the proto spells it: `string`, `optional int64`, `repeated stategate.Event`, … */
function typeOf(field: DescField): string {
  switch (field.fieldKind) {
    case 'scalar':
      return `${field.proto.proto3Optional ? 'optional ' : ''}${ScalarType[field.scalar].toLowerCase()}`;
    case 'message':
      return field.message.typeName;
    case 'list':
      return `repeated ${field.listKind === 'message' ? field.message.typeName : String(field.listKind)}`;
    default:
      return field.fieldKind;
  }
}

describe('the generated descriptors', () => {
  // message, field, number, type. Original fields as DESIGN.md §2 lists them, then the additions.
  const table: [string, string, number, string][] = [
    ['EntityRef', 'domain', 1, 'string'],
    ['EntityRef', 'type', 2, 'string'],
    ['EntityRef', 'key', 3, 'string'],
    ['EntityRef', 'version', 4, 'int64'],
    ['EntityRef', 'at', 5, 'int64'],
    ['Entity', 'domain', 1, 'string'],
    ['Entity', 'type', 2, 'string'],
    ['Entity', 'key', 3, 'string'],
    ['Entity', 'values', 4, 'google.protobuf.Struct'],
    ['Entity', 'version', 5, 'int64'],
    ['Entities', 'entities', 1, 'repeated stategate.Entity'],
    ['EventRef', 'domain', 1, 'string'],
    ['EventRef', 'type', 2, 'string'],
    ['EventRef', 'key', 3, 'string'],
    ['EventRef', 'id', 4, 'string'],
    ['EventRef', 'version', 5, 'int64'],
    ['Event', 'id', 1, 'string'],
    ['Event', 'entity', 2, 'stategate.Entity'],
    ['Event', 'claims', 3, 'google.protobuf.Struct'],
    ['Event', 'time', 4, 'int64'],
    ['Event', 'method', 5, 'string'],
    ['Event', 'position', 6, 'int64'],
    ['Events', 'events', 1, 'repeated stategate.Event'],
    ['Sort', 'field', 1, 'string'],
    ['Sort', 'reverse', 2, 'bool'],
    ['SearchEntityOpts', 'domain', 1, 'string'],
    ['SearchEntityOpts', 'type', 2, 'string'],
    ['SearchEntityOpts', 'query_string', 3, 'string'],
    ['SearchEntityOpts', 'limit', 4, 'int32'],
    ['SearchEntityOpts', 'offset', 5, 'int32'],
    ['SearchEntityOpts', 'sort', 9, 'stategate.Sort'],
    ['SearchEventOpts', 'domain', 1, 'string'],
    ['SearchEventOpts', 'type', 2, 'string'],
    ['SearchEventOpts', 'query_string', 4, 'string'],
    ['SearchEventOpts', 'min', 5, 'int64'],
    ['SearchEventOpts', 'max', 6, 'int64'],
    ['SearchEventOpts', 'limit', 7, 'int32'],
    ['SearchEventOpts', 'offset', 8, 'int32'],
    ['SearchEventOpts', 'sort', 9, 'stategate.Sort'],
    ['SearchEventOpts', 'after', 10, 'int64'],
    ['StreamEventOpts', 'domain', 1, 'string'],
    ['StreamEventOpts', 'type', 2, 'string'],
    ['StreamEventOpts', 'consumer_group', 3, 'string'],
    ['StreamEventOpts', 'key', 4, 'string'],
    ['StreamEventOpts', 'after', 5, 'optional int64'],
    ['Message', 'domain', 1, 'string'],
    ['Message', 'channel', 2, 'string'],
    ['Message', 'type', 3, 'string'],
    ['Message', 'body', 4, 'google.protobuf.Struct'],
    ['PeerMessage', 'id', 1, 'string'],
    ['PeerMessage', 'domain', 2, 'string'],
    ['PeerMessage', 'channel', 3, 'string'],
    ['PeerMessage', 'type', 4, 'string'],
    ['PeerMessage', 'body', 5, 'google.protobuf.Struct'],
    ['PeerMessage', 'claims', 6, 'google.protobuf.Struct'],
    ['PeerMessage', 'time', 7, 'int64'],
    ['StreamMessageOpts', 'domain', 1, 'string'],
    ['StreamMessageOpts', 'channel', 2, 'string'],
    ['StreamMessageOpts', 'type', 3, 'string'],
    ['StreamMessageOpts', 'consumer_group', 4, 'string'],
    ['ListTypesOpts', 'domain', 1, 'string'],
    ['ListTypesOpts', 'limit', 2, 'int32'],
    ['ListTypesOpts', 'offset', 3, 'int32'],
    ['TypeCount', 'domain', 1, 'string'],
    ['TypeCount', 'type', 2, 'string'],
    ['TypeCount', 'count', 3, 'int64'],
    ['TypeCounts', 'types', 1, 'repeated stategate.TypeCount'],
    ['Cache', 'domain', 1, 'string'],
    ['Cache', 'key', 2, 'string'],
    ['Cache', 'value', 3, 'google.protobuf.Value'],
    ['Cache', 'exp', 4, 'google.protobuf.Timestamp'],
    ['CacheRef', 'domain', 1, 'string'],
    ['CacheRef', 'key', 2, 'string'],
    ['Mutex', 'domain', 1, 'string'],
    ['Mutex', 'key', 2, 'string'],
    ['Mutex', 'exp', 4, 'google.protobuf.Timestamp'],
    ['MutexLease', 'domain', 1, 'string'],
    ['MutexLease', 'key', 2, 'string'],
    ['MutexLease', 'exp', 4, 'google.protobuf.Timestamp'],
    ['MutexLease', 'token', 5, 'string'],
    ['MutexLease', 'fencing', 6, 'int64'],
    ['MutexRef', 'domain', 1, 'string'],
    ['MutexRef', 'key', 2, 'string'],
    ['MutexRef', 'token', 3, 'string'],
    // Event triggers (TriggerService).
    ['Trigger', 'name', 1, 'string'],
    ['Trigger', 'url', 2, 'string'],
    ['Trigger', 'domain', 3, 'string'],
    ['Trigger', 'type', 4, 'string'],
    ['Trigger', 'key', 5, 'string'],
    ['Trigger', 'secret', 6, 'string'],
    ['Trigger', 'headers', 7, 'map'],
    ['Trigger', 'timeout_ms', 8, 'int32'],
    ['Trigger', 'max_attempts', 9, 'int32'],
    ['Trigger', 'from', 10, 'string'],
    ['TriggerRef', 'name', 1, 'string'],
    ['ListTriggersOpts', 'prefix', 1, 'string'],
    ['ReplayTriggerOpts', 'name', 1, 'string'],
    ['ReplayTriggerOpts', 'event_ids', 2, 'repeated scalar'],
    ['ReplayTriggerResult', 'replayed', 1, 'int32'],
    ['DeadLetter', 'event_id', 1, 'string'],
    ['DeadLetter', 'position', 2, 'int64'],
    ['DeadLetter', 'domain', 3, 'string'],
    ['DeadLetter', 'type', 4, 'string'],
    ['DeadLetter', 'key', 5, 'string'],
    ['DeadLetter', 'attempts', 6, 'int32'],
    ['DeadLetter', 'last_error', 7, 'string'],
    ['DeadLetter', 'time', 8, 'google.protobuf.Timestamp'],
    ['DeadLetter', 'replay', 9, 'bool'],
    ['TriggerStatus', 'position', 1, 'int64'],
    ['TriggerStatus', 'lag', 2, 'int64'],
    ['TriggerStatus', 'attempts', 3, 'int32'],
    ['TriggerStatus', 'last_error', 4, 'string'],
    ['TriggerStatus', 'dead_letter_count', 5, 'int64'],
    ['TriggerStatus', 'dead_letters', 6, 'repeated stategate.DeadLetter'],
    ['TriggerInfo', 'name', 1, 'string'],
    ['TriggerInfo', 'url', 2, 'string'],
    ['TriggerInfo', 'domain', 3, 'string'],
    ['TriggerInfo', 'type', 4, 'string'],
    ['TriggerInfo', 'key', 5, 'string'],
    ['TriggerInfo', 'header_names', 6, 'repeated scalar'],
    ['TriggerInfo', 'timeout_ms', 7, 'int32'],
    ['TriggerInfo', 'max_attempts', 8, 'int32'],
    ['TriggerInfo', 'created_at', 9, 'google.protobuf.Timestamp'],
    ['TriggerInfo', 'status', 10, 'stategate.TriggerStatus'],
    ['TriggerInfos', 'triggers', 1, 'repeated stategate.TriggerInfo'],
  ];

  const messages = new Map<string, DescMessage>(file_stategate.messages.map((m) => [m.name, m]));

  it('declares package stategate', () => {
    expect(file_stategate.proto.package).toBe('stategate');
  });

  it.each(table)('%s.%s = %d (%s)', (message, field, number, type) => {
    const desc = messages.get(message);
    expect(desc).toBeDefined();
    const f = desc!.fields.find((x) => x.name === field);
    expect(f).toBeDefined();
    expect(f!.number).toBe(number);
    expect(typeOf(f!)).toBe(type);
  });

  it('has exactly the messages and fields of the table', () => {
    const declared = file_stategate.messages.flatMap((m) => m.fields.map((f) => `${m.name}.${f.name}=${f.number}`));
    expect(declared.sort()).toEqual(table.map(([m, f, n]) => `${m}.${f}=${n}`).sort());
  });

  it('has no field 3 in Mutex (or MutexLease), and keeps it reserved', () => {
    for (const name of ['Mutex', 'MutexLease']) {
      const desc = messages.get(name)!;
      expect(desc.fields.map((f) => f.number)).not.toContain(3);
      expect(desc.proto.reservedRange.some((r) => r.start <= 3 && 3 < r.end)).toBe(true);
    }
  });

  // service, method, request, response, server streaming, verb, path
  const rpcs: [string, string, string, string, boolean, string, string][] = [
    ['EntityService', 'Set', 'Entity', 'google.protobuf.Empty', false, 'post', '/api/entity/ref/{domain}/{type}/{key}'],
    ['EntityService', 'Edit', 'Entity', 'Entity', false, 'patch', '/api/entity/ref/{domain}/{type}/{key}'],
    ['EntityService', 'Revert', 'EventRef', 'Entity', false, 'put', '/api/entity/ref/{domain}/{type}/{key}/revert'],
    ['EntityService', 'Get', 'EntityRef', 'Entity', false, 'get', '/api/entity/ref/{domain}/{type}/{key}'],
    [
      'EntityService',
      'Del',
      'EntityRef',
      'google.protobuf.Empty',
      false,
      'delete',
      '/api/entity/ref/{domain}/{type}/{key}',
    ],
    ['EntityService', 'Search', 'SearchEntityOpts', 'Entities', false, 'get', '/api/entity/search'],
    ['EntityService', 'ListTypes', 'ListTypesOpts', 'TypeCounts', false, 'get', '/api/entity/types'],
    ['EventService', 'Stream', 'StreamEventOpts', 'Event', true, 'get', '/api/events/stream'],
    ['EventService', 'Search', 'SearchEventOpts', 'Events', false, 'get', '/api/events/search'],
    ['EventService', 'Get', 'EventRef', 'Event', false, 'get', '/api/events/ref/{domain}/{type}/{key}/{id}'],
    ['PeerService', 'Broadcast', 'Message', 'google.protobuf.Empty', false, 'post', '/api/peers/broadcast'],
    ['PeerService', 'Stream', 'StreamMessageOpts', 'PeerMessage', true, 'get', '/api/peers/stream'],
    ['CacheService', 'Set', 'Cache', 'google.protobuf.Empty', false, 'put', '/api/cache/ref/{domain}/{key}'],
    ['CacheService', 'Get', 'CacheRef', 'Cache', false, 'get', '/api/cache/ref/{domain}/{key}'],
    ['CacheService', 'Del', 'CacheRef', 'google.protobuf.Empty', false, 'delete', '/api/cache/ref/{domain}/{key}'],
    ['MutexService', 'Lock', 'Mutex', 'MutexLease', false, 'post', '/api/mutex/ref/{domain}/{key}/lock'],
    [
      'MutexService',
      'Unlock',
      'MutexRef',
      'google.protobuf.Empty',
      false,
      'post',
      '/api/mutex/ref/{domain}/{key}/unlock',
    ],
    ['TriggerService', 'Create', 'Trigger', 'TriggerInfo', false, 'post', '/api/triggers'],
    ['TriggerService', 'List', 'ListTriggersOpts', 'TriggerInfos', false, 'get', '/api/triggers'],
    ['TriggerService', 'Get', 'TriggerRef', 'TriggerInfo', false, 'get', '/api/triggers/{name}'],
    ['TriggerService', 'Delete', 'TriggerRef', 'TriggerInfo', false, 'delete', '/api/triggers/{name}'],
    [
      'TriggerService',
      'Replay',
      'ReplayTriggerOpts',
      'ReplayTriggerResult',
      false,
      'post',
      '/api/triggers/{name}/replay',
    ],
  ];
  const qualified = (name: string) => (name.includes('.') ? name : `stategate.${name}`);

  it('has exactly the services and rpcs of the seed', () => {
    const declared = file_stategate.services.flatMap((s) => s.methods.map((m) => `${s.name}/${m.name}`));
    expect(declared).toEqual(rpcs.map(([s, m]) => `${s}/${m}`));
  });

  it.each(rpcs)('%s.%s(%s) → %s (stream: %s) at %s %s', (service, method, input, output, streams, verb, path) => {
    const desc = file_stategate.services.find((s) => s.name === service)?.methods.find((m) => m.name === method);
    expect(desc).toBeDefined();
    expect(desc!.input.typeName).toBe(qualified(input));
    expect(desc!.output.typeName).toBe(qualified(output));
    expect(desc!.methodKind).toBe(streams ? 'server_streaming' : 'unary');

    const rule = getOption(desc!, http);
    expect(rule.pattern).toEqual({ case: verb, value: path });
    // body "*" on every verb that has a body; GET and DELETE take the other fields as query parameters.
    expect(rule.body).toBe(verb === 'get' || verb === 'delete' ? '' : '*');
    expect(rule.additionalBindings).toEqual([]);
  });
});
