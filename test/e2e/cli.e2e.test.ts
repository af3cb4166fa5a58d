/**
 * The `stategate` CLI (bin/stategate.mjs, the package's `bin`) end to end: every command run as its own
 * process against `node dist/main.js`, with stdout a pipe (JSON, as scripts get it) and, once, a terminal
 * (readable lines, through `script`'s pseudo-terminal). `serve` (the default command) starts a real server.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { gql } from '../support/graphql.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';

const BIN = 'bin/stategate.mjs';
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `stategate ARGS` with stdout and stderr piped; `input` is its stdin. */
function cli(args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>;

let server: StoredServerProcess;
let url: string;

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0' });
  url = server.url;
});

afterAll(async () => {
  await server?.close();
});

describe('entities', () => {
  it('set, edit (values from stdin), get (now and a past version), history and del', async () => {
    const at = (args: string[], input?: string) => cli([...args, '--url', url], input);
    expect(await at(['set', 'crm', 'person', 'ada', '{"name":"Ada"}'])).toMatchObject({ code: 0 });
    const edited = await at(['edit', 'crm', 'person', 'ada', '-'], '{"born":1815}');
    expect(edited.code).toBe(0);
    expect(json(edited)).toEqual({
      domain: 'crm',
      type: 'person',
      key: 'ada',
      version: '2',
      values: { name: 'Ada', born: 1815 },
    });
    expect(json(await at(['get', 'crm', 'person', 'ada']))).toMatchObject({ version: '2' });
    expect(json(await at(['get', 'crm', 'person', 'ada', '--version', '1']))).toMatchObject({
      version: '1',
      values: { name: 'Ada' },
    });

    const history = await at(['history', 'crm', 'person', 'ada']);
    expect(history.code).toBe(0);
    const events = JSON.parse(history.stdout) as Array<{ method: string; entity: { version: string } }>;
    expect(events.map((e) => [e.method, e.entity.version])).toEqual([
      ['/stategate.EntityService/Set', '1'],
      ['/stategate.EntityService/Edit', '2'],
    ]);

    // A stale precondition is the server's ABORTED, exit 1; the right one deletes.
    const stale = await at(['del', 'crm', 'person', 'ada', '--version', '1']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^stategate del: ABORTED: /);
    expect(await at(['del', 'crm', 'person', 'ada', '--version', '2'])).toMatchObject({ code: 0 });
    const gone = await at(['get', 'crm', 'person', 'ada']);
    expect(gone).toMatchObject({ code: 1, stdout: '' });
    expect(gone.stderr).toMatch(/^stategate get: NOT_FOUND: /);
  });

  it('prints readable lines on a terminal, and JSON there too with --json', async () => {
    await cli(['set', 'crm', 'person', 'grace', '{"name":"Grace"}', '--url', url]);
    // `script` runs the command on a pseudo-terminal, as a person's shell would.
    const onTerminal = async (args: string[]) =>
      (await run('script', ['-qec', [process.execPath, BIN, ...args, '--url', url].join(' '), '/dev/null'])).stdout;
    const readable = await onTerminal(['get', 'crm', 'person', 'grace']);
    expect(readable).toContain('crm/person/grace version 1');
    expect(readable).toContain('"name": "Grace"');
    expect(await onTerminal(['history', 'crm', 'person', 'grace'])).toMatch(
      /#\d+ {2}v1 {2}\S+Z {2}Set +\{"name":"Grace"\}/,
    );
    expect(JSON.parse(await onTerminal(['get', 'crm', 'person', 'grace', '--json']))).toMatchObject({ key: 'grace' });
  });
});

describe('tail', () => {
  it('replays after a position, then streams live events another client writes, filtered by globs; Ctrl-C ends it 0', async () => {
    await cli(['set', 'shop', 'order', 'o-1', '{"total":1}', '--url', url]);
    await cli(['set', 'other', 'order', 'x-1', '{"total":9}', '--url', url]);
    const first = json(await cli(['history', 'shop', 'order', 'o-1', '--url', url])) as unknown as Array<{
      position: string;
    }>;
    const after = String(BigInt(first[0]!.position) - 1n);

    const child = spawn(
      process.execPath,
      [BIN, 'tail', '--domain', 'sh*', '--key', 'o-?', '--after', after, '--url', url],
      {
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    const lines: Array<{ entity: { domain: string; key: string; version: string } }> = [];
    const seen = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (lines.length >= count) resolve();
          else setTimeout(check, 50);
        };
        check();
      });
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await seen(1); // the replayed Set of o-1
    // Live: written by another client (GraphQL over HTTP), after the replay; other-domain and other-key writes
    // are filtered out by the globs.
    const write = (domain: string, key: string, total: number) =>
      gql(`${url}/api/graphql`, 'mutation($i: EntityInput!) { setEntity(input: $i) }', {
        i: { domain, type: 'order', key, values: { total } },
      });
    await write('other', 'o-2', 5);
    await write('shop', 'big-order', 5);
    await write('shop', 'o-2', 2);
    await seen(2);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines.map((l) => `${l.entity.domain}/${l.entity.key} v${l.entity.version}`)).toEqual([
      'shop/o-1 v1',
      'shop/o-2 v1',
    ]);
  });
});

describe('cache and mutex', () => {
  it('cache set (with a TTL), get, del', async () => {
    const set = await cli(['cache', 'set', 'web', 'session-1', '{"user":"ada"}', '--ttl', '60', '--url', url]);
    expect(set.code).toBe(0);
    const got = json(await cli(['cache', 'get', 'web', 'session-1', '--url', url]));
    expect(got).toMatchObject({ domain: 'web', key: 'session-1', value: { user: 'ada' } });
    expect(Date.parse(String(got.exp))).toBeGreaterThan(Date.now());
    expect(await cli(['cache', 'del', 'web', 'session-1', '--url', url])).toMatchObject({ code: 0 });
    const gone = await cli(['cache', 'get', 'web', 'session-1', '--url', url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('NOT_FOUND');
  });

  it('lock prints the lease, a second lock is refused while it holds, unlock --lease releases it', async () => {
    const locked = await cli(['lock', 'jobs', 'nightly', '--ttl', '60', '--url', url]);
    expect(locked.code).toBe(0);
    const lease = json(locked);
    expect(lease).toMatchObject({
      domain: 'jobs',
      key: 'nightly',
      fencing: expect.any(String),
      token: expect.any(String),
    });
    const again = await cli(['lock', 'jobs', 'nightly', '--url', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^stategate lock: ALREADY_EXISTS: /);
    expect(await cli(['unlock', 'jobs', 'nightly', '--lease', String(lease.token), '--url', url])).toMatchObject({
      code: 0,
    });
    expect(await cli(['lock', 'jobs', 'nightly', '--url', url])).toMatchObject({ code: 0 });
  });
});

describe('bad command lines: the usage on stderr and exit code 2', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['get', 'crm', 'person'], /get takes <domain> <type> <key> \(got 2 arguments\)/],
    [['set', 'crm', 'person', 'ada', 'not json'], /the values must be JSON/],
    [['set', 'crm', 'person', 'ada', '[1]'], /the values must be a JSON object/],
    [['get', 'crm', 'person', 'ada', '--bogus'], /Unknown option '--bogus'/],
    [['get', 'crm', 'person', 'ada', '--version', 'x'], /--version must be an integer/],
    [['get', 'crm', 'person', 'ada', '--url', 'ftp://x'], /--url must be an http/],
    [['tail', '--after=-3'], /--after must be an integer >= 0/],
    [['cache', 'frob'], /cache takes get, set or del, not "frob"/],
    [['lock', 'jobs', 'k', '--ttl', '1', '--exp', '2030-01-01T00:00:00Z'], /--ttl or --exp, not both/],
    [['del', 'crm', 'person', 'ada', '--limit', '3'], /del takes no --limit/],
    [['serve', 'extra'], /serve takes no arguments/],
  ])('%j', async (args, message) => {
    const result = await cli(args.includes('--url') ? args : [...args, '--url', url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: stategate');
    expect(result.stdout).toBe('');
  });

  it('help prints the usage to stdout, exit 0', async () => {
    const result = await cli(['help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('tail');
  });
});

describe('--token, with auth on', () => {
  let jwks: JwksServer;
  let authed: StoredServerProcess;

  beforeAll(async () => {
    jwks = await startJwksServer();
    authed = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0', STATEGATE_JWKS_URI: jwks.url });
  });
  afterAll(async () => {
    await authed?.close();
    await jwks?.close();
  });

  it('without a token is UNAUTHENTICATED (exit 1), for calls and tail; with one both work', async () => {
    const refused = await cli(['set', 'crm', 'person', 'ada', '{}', '--url', authed.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
    const token = await jwks.sign({ sub: 'cli-user', expiresInS: 600 });
    expect(await cli(['set', 'crm', 'person', 'ada', '{"n":1}', '--url', authed.url, '--token', token])).toMatchObject({
      code: 0,
    });
    const tailRefused = await cli(['tail', '--url', authed.url]);
    expect(tailRefused.code).toBe(1);
    expect(tailRefused.stderr).toMatch(/UNAUTHENTICATED/);
    // With the token, tail's graphql-ws connection is accepted: it replays the Set made above.
    const child = spawn(process.execPath, [BIN, 'tail', '--after', '0', '--url', authed.url, '--token', token], {
      env: { PATH: process.env.PATH ?? '' },
    });
    const first = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`tail exited ${code}`)));
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(JSON.parse(first)).toMatchObject({ claims: { sub: 'cli-user' }, entity: { key: 'ada', values: { n: 1 } } });
  });
});

describe('serve', () => {
  it('is the default command: `stategate` with no arguments starts the server, which answers the client commands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stategate-cli-'));
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env.PATH ?? '',
        STATEGATE_PORT: '0',
        STATEGATE_METRICS_PORT: '0',
        STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'stategate.db') }),
      },
    });
    try {
      const served = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'stategate listening') resolve(entry.url!);
        });
      });
      expect(await cli(['set', 'crm', 'person', 'ada', '{"n":1}', '--url', served])).toMatchObject({ code: 0 });
      expect(json(await cli(['get', 'crm', 'person', 'ada', '--url', served]))).toMatchObject({ values: { n: 1 } });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
