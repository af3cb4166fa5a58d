import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { ConfigError, type PolicySource } from '../../src/config/config.js';
import type { PolicyInput } from '../../src/core/ports/access.js';
import type { Logger } from '../../src/core/ports/logger.js';
import { loadPolicy, type PolicyDecider } from '../../src/policy/opa.js';
import { findOpaCli } from '../../src/policy/opa-cli.js';

/**
 * The policy decider against the real opa CLI (Rego compiled to WebAssembly at load) and real worker
 * threads: decisions, failures that deny, the slow-policy timeout, and the load errors that stop a start.
 */

const opa = findOpaCli('opa');
if (!opa) throw new Error('the opa CLI is needed: run scripts/install-tools.sh');

const VAR = 'STATEGATE_REQUEST_POLICY';
const rego = (text: string): PolicySource => ({
  kind: 'rego',
  rego: `package stategate.authz\n\n${text}\n`,
  variable: VAR,
});

interface LogLine {
  level: string;
  obj: object;
  msg?: string;
}
function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const input = (body: unknown, extra: Partial<PolicyInput> = {}): PolicyInput => ({
  method: '/stategate.EntityService/Set',
  claims: {},
  metadata: {},
  body,
  transport: 'rest',
  ...extra,
});

let dir: string;
const loaded: PolicyDecider[] = [];
async function load(source: PolicySource, timeoutMs = 250, logger: Logger = recordingLogger()) {
  const decider = await loadPolicy(source, { opaPath: 'opa', timeoutMs, logger });
  loaded.push(decider);
  return decider;
}
/** An error `loadPolicy` stops with. */
async function loadError(source: PolicySource, opaPath = 'opa'): Promise<ConfigError> {
  const err = await loadPolicy(source, { opaPath, timeoutMs: 250, logger: recordingLogger() }).then(
    (decider) => {
      loaded.push(decider);
      throw new Error('the policy loaded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}
/** `opa build -t wasm` of Rego text, as a user would prepare a .wasm or WebAssembly bundle. */
function buildWasmBundle(text: string, name: string, entrypoint = 'stategate/authz/allow', dataJson?: string): string {
  const src = join(dir, `${name}-src`);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'policy.rego'), text);
  if (dataJson !== undefined) writeFileSync(join(src, 'data.json'), dataJson);
  const out = join(dir, `${name}.tar.gz`);
  execFileSync(opa!, ['build', '-t', 'wasm', '-e', entrypoint, '-o', out, src]);
  return out;
}
function extractWasm(bundle: string, name: string): string {
  const out = join(dir, `${name}.wasm`);
  writeFileSync(out, execFileSync('tar', ['-xzPOf', bundle, '/policy.wasm']));
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-decider-'));
});
afterAll(async () => {
  await Promise.all(loaded.map((d) => d.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('decisions: only `allow` exactly true allows', () => {
  let decider: PolicyDecider;
  let logger: ReturnType<typeof recordingLogger>;
  beforeAll(async () => {
    logger = recordingLogger();
    decider = await load(
      rego(`allow if input.body.key == "yes"
allow := false if input.body.key == "no"
allow := true if input.body.key == "conflict"
allow := false if input.body.key == "conflict"
allow := "yes" if input.body.key == "string"
allow := 1 if input.body.key == "one"
allow if input.body.n / input.body.d > 0
allow if input.body.time == "1700000000123456789"
allow if { input.body.key == "creds"; not input.metadata.authorization; input.metadata["x-app"] == "a" }`),
      250,
      logger,
    );
  });

  it.each([
    ['allow is true', { key: 'yes' }, true],
    ['allow is false', { key: 'no' }, false],
    ['allow is undefined (no rule matches, no default)', { key: 'other' }, false],
    ['conflicting complete rules: an evaluation error', { key: 'conflict' }, false],
    ['a string', { key: 'string' }, false],
    ['the number 1', { key: 'one' }, false],
    ['division by zero leaves allow undefined', { n: 1, d: 0 }, false],
    ['a division that works', { n: 1, d: 1 }, true],
    ['a bigint reaches the policy as its exact decimal string', { time: 1_700_000_000_123_456_789n }, true],
  ])('%s', async (_name, body, expected) => {
    expect(await decider.allow(input(body))).toBe(expected);
  });

  it('the policy sees the other headers but not the raw credential', async () => {
    const metadata = { authorization: 'Bearer abc.def.ghi', 'x-app': 'a' };
    expect(await decider.allow(input({ key: 'creds' }, { metadata }))).toBe(true);
  });

  it('an erroring or non-boolean policy is logged, with the error but never the input', async () => {
    logger.lines.length = 0;
    const metadata = { authorization: 'Bearer SECRET-TOKEN' };
    expect(await decider.allow(input({ key: 'conflict' }, { metadata }))).toBe(false);
    expect(await decider.allow(input({ key: 'string' }, { metadata }))).toBe(false);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.msg)).toEqual(['policy failed: denied', '`allow` is not a boolean: denied']);
    expect(JSON.stringify(warnings[0]?.obj)).toMatch(/conflict/);
    expect(JSON.stringify(logger.lines)).not.toContain('SECRET-TOKEN');
  });

  it('many inputs at once (more than one batch) each get their own decision', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => ['yes', 'no', 'other', 'conflict'][i % 4]!);
    const decisions = await Promise.all(keys.map((key) => decider.allow(input({ key }))));
    expect(decisions).toEqual(keys.map((key) => key === 'yes'));
  });
});

describe('a slow policy: denied at the timeout, the worker replaced, nobody else blamed', () => {
  const slowRule = `allow if { input.body.key == "slow"; count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000)]) > 0 }`;
  let decider: PolicyDecider;
  let logger: ReturnType<typeof recordingLogger>;
  beforeAll(async () => {
    logger = recordingLogger();
    decider = await load(rego(`allow if input.body.key == "fast"\n${slowRule}`), 200, logger);
  });

  it('denies the slow input and keeps deciding the next ones', async () => {
    expect(await decider.allow(input({ key: 'slow' }))).toBe(false);
    expect(logger.lines.map((l) => l.msg)).toContain('policy evaluation ran over 200 ms: denied, worker replaced');
    expect(await decider.allow(input({ key: 'fast' }))).toBe(true);
    expect(await decider.allow(input({ key: 'other' }))).toBe(false);
  });

  it('inputs batched with the slow one keep their own decisions, before and after it', async () => {
    const keys = ['fast', 'other', 'slow', 'fast', 'other', 'fast'];
    const decisions = await Promise.all(keys.map((key) => decider.allow(input({ key }))));
    expect(decisions).toEqual([true, false, false, true, false, true]);
  });

  it('the main thread is not blocked while the slow policy runs', async () => {
    let ticks = 0;
    let settled = false;
    const ticker = setInterval(() => ticks++, 10);
    try {
      const decision = decider.allow(input({ key: 'slow' })).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Timers ran while the evaluation was still going on (it only ends at the 200 ms timeout); on the
      // main thread, it would have run to its end before any timer.
      expect({ ticks: ticks > 0, settled }).toEqual({ ticks: true, settled: false });
      expect(await decision).toBe(false);
    } finally {
      clearInterval(ticker);
    }
  });
});

describe('sources: .rego, .wasm and OPA bundles', () => {
  const policy = 'package stategate.authz\n\nallow if input.body.domain in data.allowed_domains\n';

  it('a Rego bundle (.tar.gz of .rego and data.json) is compiled with its data', async () => {
    const src = join(dir, 'rego-bundle');
    mkdirSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'policy.rego'), policy);
    writeFileSync(join(src, 'data.json'), JSON.stringify({ allowed_domains: ['a', 'b'] }));
    const file = join(dir, 'rego-bundle.tar.gz');
    await createTar({ gzip: true, file, cwd: src }, ['policy.rego', 'data.json']);
    const decider = await load({ kind: 'bundle', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(await decider.allow(input({ domain: 'a' }))).toBe(true);
    expect(await decider.allow(input({ domain: 'c' }))).toBe(false);
  });

  it('a WebAssembly bundle (opa build -t wasm) is used as it is, with its data.json', async () => {
    const file = buildWasmBundle(policy, 'wasm-bundle', undefined, JSON.stringify({ allowed_domains: ['x'] }));
    const decider = await load({ kind: 'bundle', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(await decider.allow(input({ domain: 'x' }))).toBe(true);
    expect(await decider.allow(input({ domain: 'a' }))).toBe(false);
  });

  it('a bundle with data.json in a subdirectory puts it under that path', async () => {
    const src = join(dir, 'nested-bundle');
    mkdirSync(join(src, 'cfg', 'tenants'), { recursive: true });
    writeFileSync(
      join(src, 'policy.rego'),
      'package stategate.authz\n\nallow if input.body.domain in data.cfg.tenants.names\n',
    );
    writeFileSync(join(src, 'cfg', 'tenants', 'data.json'), JSON.stringify({ names: ['t1'] }));
    const file = join(dir, 'nested-bundle.tar.gz');
    execFileSync(opa!, ['build', '-t', 'wasm', '-e', 'stategate/authz/allow', '-o', file, src]);
    const decider = await load({ kind: 'bundle', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(await decider.allow(input({ domain: 't1' }))).toBe(true);
    expect(await decider.allow(input({ domain: 't2' }))).toBe(false);
  });

  it('a .wasm file (policy.wasm taken out of a bundle) loads, without data', async () => {
    const file = extractWasm(buildWasmBundle('package stategate.authz\n\nallow if input.body.ok\n', 'plain'), 'plain');
    const decider = await load({ kind: 'wasm', file, variable: 'STATEGATE_RESPONSE_POLICY_FILE' });
    expect(await decider.allow(input({ ok: true }))).toBe(true);
    expect(await decider.allow(input({ ok: false }))).toBe(false);
  });

  it('Rego v0 (a rule without `if`) still compiles, with a warning to migrate', async () => {
    const logger = recordingLogger();
    const decider = await load(rego('allow { input.body.ok == true }'), 250, logger);
    expect(await decider.allow(input({ ok: true }))).toBe(true);
    expect(logger.lines.some((l) => l.level === 'warn' && /Rego v0/.test(l.msg ?? ''))).toBe(true);
  });

  it('a .rego file names itself in the compiler errors', async () => {
    const err = await loadError({
      kind: 'rego',
      rego: 'package stategate.authz\n\nallow if {\n',
      file: join(dir, 'mine.rego'),
      variable: 'STATEGATE_RESPONSE_POLICY_FILE',
    });
    expect(err.message).toMatch(/^STATEGATE_RESPONSE_POLICY_FILE: does not compile: .*mine\.rego:\d+/);
  });
});

describe('load errors stop the start, naming the variable', () => {
  it('Rego that does not parse: the compiler error, never the policy text', async () => {
    const err = await loadError(rego('allow if { input.password == "hunter2-SECRET" '));
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY: does not compile: .*policy\.rego:\d+: rego_parse_error/);
    expect(err.message).not.toContain('hunter2-SECRET');
  });

  it('Rego that does not type-check', async () => {
    const err = await loadError(rego('allow if no_such_function(input.x)'));
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY: does not compile: .*undefined function no_such_function/);
  });

  it('Rego of another package: no stategate/authz/allow entrypoint', async () => {
    const err = await loadError({ kind: 'rego', rego: 'package other\n\nallow := true\n', variable: VAR });
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY: does not compile: .*stategate\/authz\/allow/);
  });

  it('no opa CLI at STATEGATE_OPA_PATH', async () => {
    const err = await loadError(rego('default allow := true'), '/nonexistent/opa');
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY: compiling Rego needs the opa CLI.*\/nonexistent\/opa/);
    expect(err.message).toMatch(/STATEGATE_OPA_PATH/);
  });

  it('a .wasm file that is not WebAssembly', async () => {
    const file = join(dir, 'bad.wasm');
    writeFileSync(file, 'this is not wasm');
    const err = await loadError({ kind: 'wasm', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY_FILE: not a WebAssembly policy/);
  });

  it('WebAssembly that is not an OPA policy', async () => {
    const file = join(dir, 'empty-module.wasm');
    // The smallest valid module: magic and version, no imports or exports.
    writeFileSync(file, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const err = await loadError({ kind: 'wasm', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(err.message).toBe(
      'STATEGATE_REQUEST_POLICY_FILE: WebAssembly, but not an OPA policy (build it with opa build -t wasm)',
    );
  });

  it('a compiled policy without the stategate/authz/allow entrypoint', async () => {
    const bundle = buildWasmBundle('package other\n\nallow := true\n', 'other', 'other/allow');
    const err = await loadError({ kind: 'wasm', file: extractWasm(bundle, 'other'), variable: VAR });
    expect(err.message).toBe(
      'STATEGATE_REQUEST_POLICY: the policy has no stategate/authz/allow entrypoint (it has: other/allow)',
    );
    const fromBundle = await loadError({ kind: 'bundle', file: bundle, variable: VAR });
    expect(fromBundle.message).toMatch(/has no stategate\/authz\/allow entrypoint/);
  });

  it('a bundle that is not a gzip tar archive', async () => {
    const file = join(dir, 'broken.tar.gz');
    writeFileSync(
      file,
      readFileSync(buildWasmBundle('package stategate.authz\n\nallow := true\n', 'cut')).subarray(0, 60),
    );
    const err = await loadError({ kind: 'bundle', file, variable: 'STATEGATE_REQUEST_POLICY_FILE' });
    expect(err.message).toMatch(/^STATEGATE_REQUEST_POLICY_FILE: .*broken\.tar\.gz is not a readable OPA bundle/);
  });

  it('a bundle whose data.json is not a JSON object', async () => {
    const src = join(dir, 'bad-data');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'data.json'), '[1, 2]');
    writeFileSync(
      join(src, 'policy.wasm'),
      readFileSync(extractWasm(buildWasmBundle('package stategate.authz\n\nallow := true\n', 'bd'), 'bd')),
    );
    const file = join(dir, 'bad-data.tar.gz');
    await createTar({ gzip: true, file, cwd: src }, ['policy.wasm', 'data.json']);
    const err = await loadError({ kind: 'bundle', file, variable: VAR });
    expect(err.message).toMatch(/data\.json is not a JSON object/);
  });

  it('a Rego bundle that does not compile', async () => {
    const src = join(dir, 'bad-rego-bundle');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'policy.rego'), 'package stategate.authz\n\nallow if {{\n');
    const file = join(dir, 'bad-rego-bundle.tar.gz');
    await createTar({ gzip: true, file, cwd: src }, ['policy.rego']);
    const err = await loadError({ kind: 'bundle', file, variable: 'STATEGATE_RESPONSE_POLICY_FILE' });
    expect(err.message).toMatch(/^STATEGATE_RESPONSE_POLICY_FILE: does not compile: .*rego_parse_error/);
  });
});

describe('close', () => {
  it('a closed decider denies', async () => {
    const decider = await loadPolicy(rego('default allow := true'), {
      opaPath: 'opa',
      timeoutMs: 250,
      logger: recordingLogger(),
    });
    expect(await decider.allow(input({}))).toBe(true);
    await decider.close();
    expect(await decider.allow(input({}))).toBe(false);
  });
});
