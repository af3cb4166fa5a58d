/**
 * schemathesis (PyPI) against the REST OpenAPI document of a live server (issue 8): no 5xx, and every
 * response conforms to the schema. scripts/schemathesis.sh installs the pinned version when it is
 * missing, so this test never skips: an install failure fails it.
 */

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { startTestServer, type TestServer } from '../support/server.js';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/schemathesis.sh');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** Runs the script without blocking this process's event loop: the server under test lives here too. */
function run(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(new Error(`schemathesis did not finish within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('schemathesis against /api/openapi.json', () => {
  it('installs the pinned schemathesis', async () => {
    const { code, output } = await run(['--install-only'], 240_000);
    if (code !== 0) throw new Error(`installing schemathesis failed (exit ${code}):\n${output.slice(-4000)}`);
  }, 250_000);

  it('finds no 5xx and no response outside the schema', async () => {
    const { code, output } = await run([server.app.url], 240_000);
    // The summary line, e.g. "1832 generated, 1832 passed", for the log.
    process.stdout.write(`schemathesis: ${/\d+ generated[^\n]*/.exec(output)?.[0] ?? '(no summary)'}\n`);
    if (code !== 0) throw new Error(`schemathesis failed (exit ${code}):\n${output.slice(-12_000)}`);
    expect(output).toMatch(/\d+ generated, \d+ passed/);
  }, 250_000);
});
