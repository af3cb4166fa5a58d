import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { ConfigError } from '../../src/config/config.js';
import { findOpaCli } from '../../src/policy/opa-cli.js';
import { rest } from '../support/rest.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { uid } from './helpers.js';
import { policyFile } from './policy-helpers.js';

/**
 * The `…_POLICY_FILE` variants on a real server: a .rego file, a compiled .wasm, a WebAssembly bundle and a
 * Rego bundle each load and decide; and every policy that cannot be loaded stops the start with an error
 * naming the variable, before any database is opened.
 */

const opa = findOpaCli('opa');
if (!opa) throw new Error('the opa CLI is needed: run scripts/install-tools.sh');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `opa build -t wasm` of a fixture policy: the WebAssembly bundle, and its policy.wasm alone. */
function compiledFixture(name: string): { bundle: string; wasm: string } {
  const bundle = join(dir, `${name}.tar.gz`);
  execFileSync(opa!, ['build', '-t', 'wasm', '-e', 'stategate/authz/allow', '-o', bundle, policyFile(name)]);
  const wasm = join(dir, `${name}.wasm`);
  writeFileSync(wasm, execFileSync('tar', ['-xzPOf', bundle, '/policy.wasm']));
  return { bundle, wasm };
}

describe('policy files load and decide', () => {
  /** The table policy's verdicts on a real server: Set allowed, Del and a classified Set denied. */
  async function expectTablePolicy(env: Record<string, string>): Promise<void> {
    const server = await startTestServer(env);
    try {
      const path = `/api/entity/ref/e2e-policy-files/t/${uid()}`;
      expect((await rest(server.app.url, path, { method: 'POST', body: { values: { n: 1 } } })).status).toBe(200);
      expect((await rest(server.app.url, path, { method: 'DELETE' })).status).toBe(403);
      const classified = await rest(server.app.url, path, { method: 'POST', body: { values: { classified: true } } });
      expect(classified.status).toBe(403);
      expect((await rest(server.app.url, path)).body).toMatchObject({ values: { n: 1 } });
    } finally {
      await server.close();
    }
  }

  it('a .rego file, compiled at start', async () => {
    await expectTablePolicy({ STATEGATE_REQUEST_POLICY_FILE: policyFile('table') });
  });

  it('a .wasm file, used without the opa CLI (none is needed, none is found)', async () => {
    const { wasm } = compiledFixture('table');
    await expectTablePolicy({ STATEGATE_REQUEST_POLICY_FILE: wasm, STATEGATE_OPA_PATH: '/nonexistent/opa' });
  });

  it('a WebAssembly bundle (.tar.gz from opa build -t wasm)', async () => {
    const { bundle } = compiledFixture('table');
    await expectTablePolicy({ STATEGATE_REQUEST_POLICY_FILE: bundle });
  });

  it('a Rego bundle (.tar.gz of .rego files), compiled at start', async () => {
    const src = join(dir, 'rego-bundle');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'table.rego'), readFileSync(policyFile('table')));
    const bundle = join(dir, 'rego-bundle.tar.gz');
    await createTar({ gzip: true, file: bundle, cwd: src }, ['table.rego']);
    await expectTablePolicy({ STATEGATE_REQUEST_POLICY_FILE: bundle });
  });

  it('a response policy from a bundle withholds what it should', async () => {
    const { bundle } = compiledFixture('response-filter');
    const server = await startTestServer({ STATEGATE_RESPONSE_POLICY_FILE: bundle });
    try {
      const path = `/api/entity/ref/e2e-policy-files/t/${uid()}`;
      expect((await rest(server.app.url, path, { method: 'POST', body: { values: { hidden: true } } })).status).toBe(
        200,
      );
      expect((await rest(server.app.url, path)).status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe('a policy that cannot be loaded stops the start, naming the variable', () => {
  /** The start's error; the server's database was never created. */
  async function startError(env: Record<string, string>): Promise<string> {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    let server: TestServer | undefined;
    const err = await startTestServer(env, dataDir).then(
      (s) => {
        server = s;
        return null;
      },
      (e: unknown) => e,
    );
    await server?.close();
    expect(err).toBeInstanceOf(ConfigError);
    expect(existsSync(join(dataDir, 'stategate.db'))).toBe(false);
    return (err as ConfigError).message;
  }
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it('Rego that does not compile: the compiler’s error, not the policy', async () => {
    const message = await startError({
      STATEGATE_REQUEST_POLICY: b64('package stategate.authz\n\nallow if { input.token == "s3cr3t-value" \n'),
    });
    expect(message).toMatch(/^STATEGATE_REQUEST_POLICY: does not compile: policy\.rego:\d+: rego_parse_error/);
    expect(message).not.toContain('s3cr3t-value');
  });

  it('Rego without the stategate.authz package’s allow rule', async () => {
    const message = await startError({ STATEGATE_RESPONSE_POLICY: b64('package stategate.other\n\nallow := true\n') });
    expect(message).toMatch(/^STATEGATE_RESPONSE_POLICY: does not compile: .*stategate\/authz\/allow/);
  });

  it('no opa CLI where STATEGATE_OPA_PATH points', async () => {
    const message = await startError({
      STATEGATE_REQUEST_POLICY: b64('package stategate.authz\n\ndefault allow = true\n'),
      STATEGATE_OPA_PATH: '/nonexistent',
    });
    expect(message).toMatch(
      /^STATEGATE_REQUEST_POLICY: compiling Rego needs the opa CLI, and "\/nonexistent" was not found/,
    );
  });

  it('a .wasm file that is not WebAssembly', async () => {
    const file = join(dir, 'garbage.wasm');
    writeFileSync(file, 'not webassembly at all');
    const message = await startError({ STATEGATE_RESPONSE_POLICY_FILE: file });
    expect(message).toMatch(/^STATEGATE_RESPONSE_POLICY_FILE: not a WebAssembly policy/);
  });

  it('a bundle that is not a gzip tar archive', async () => {
    const file = join(dir, 'garbage.tar.gz');
    writeFileSync(file, 'not a tarball');
    const message = await startError({ STATEGATE_REQUEST_POLICY_FILE: file });
    expect(message).toMatch(/^STATEGATE_REQUEST_POLICY_FILE: .*garbage\.tar\.gz is not a readable OPA bundle/);
  });

  it('a compiled bundle without the stategate/authz/allow entrypoint', async () => {
    const src = join(dir, 'other.rego');
    writeFileSync(src, 'package other\n\nallow := true\n');
    const bundle = join(dir, 'other.tar.gz');
    execFileSync(opa!, ['build', '-t', 'wasm', '-e', 'other/allow', '-o', bundle, src]);
    const message = await startError({ STATEGATE_REQUEST_POLICY_FILE: bundle });
    expect(message).toBe(
      'STATEGATE_REQUEST_POLICY_FILE: the policy has no stategate/authz/allow entrypoint (it has: other/allow)',
    );
  });

  it('a good request policy and a bad response policy: the start stops on the bad one', async () => {
    const message = await startError({
      STATEGATE_REQUEST_POLICY: b64('package stategate.authz\n\ndefault allow = true\n'),
      STATEGATE_RESPONSE_POLICY: b64('package stategate.authz\n\nallow if {\n'),
    });
    expect(message).toMatch(/^STATEGATE_RESPONSE_POLICY: does not compile/);
  });

  it('a policy file that does not exist (loadConfig already refuses it)', async () => {
    const message = await startError({ STATEGATE_REQUEST_POLICY_FILE: join(dir, 'missing.wasm') });
    expect(message).toMatch(/^STATEGATE_REQUEST_POLICY_FILE: cannot read .*missing\.wasm: ENOENT/);
  });
});
