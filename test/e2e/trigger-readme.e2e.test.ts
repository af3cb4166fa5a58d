/**
 * The README's Triggers example, run as written in bash: the function of examples/triggers/receiver.mjs and the
 * server (`node dist/main.js` for `npm start`, on free ports instead of 3000 and 8080, with a throwaway
 * database), one write, and the function must print what the block's `# the function prints:` comment says.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './trigger-helpers.js';

const README = readFileSync('README.md', 'utf8');

function exampleBlock(name: string): string {
  // readme-examples.e2e.test.ts skips the block (its not-run marker names this test).
  const match = new RegExp(
    `<!-- README example: ${name} -->\\s*(?:<!--[^\\n]*-->\\s*)?\`\`\`sh\\n([\\s\\S]*?)\`\`\``,
  ).exec(README);
  if (!match?.[1]) throw new Error(`README has no example block "${name}"`);
  return match[1];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let shell: ChildProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), 'stategate-readme-triggers-'));

afterAll(() => {
  // The block leaves the function and the server running in the background: end its whole process group.
  if (shell?.pid) {
    try {
      process.kill(-shell.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

it('the README trigger calls the function, which verifies the signature and prints the event', async () => {
  const block = exampleBlock('triggers');
  const expected = /# the function prints: (.*)/.exec(block)?.[1];
  expect(expected).toBeDefined();
  const [functionPort, serverPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const script = block
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${functionPort}`)
    .replaceAll('PORT=3000', `PORT=${functionPort}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${serverPort}`)
    .replace('npm start', `STATEGATE_PORT=${serverPort} node dist/main.js > ${join(dir, 'server.log')}`);
  expect(script).not.toContain('3000');
  expect(script).not.toContain('8080');
  let stdout = '';
  shell = spawn('bash', ['-c', `set -e\n${script}\nwait`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'stategate.db') }),
      STATEGATE_METRICS_PORT: String(metricsPort),
    },
  });
  shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  await waitUntil('the function to print the event', () => stdout.includes(expected!), 60_000);
  await waitUntil('the trigger status from the last curl', () => stdout.includes('"name":"orders"'), 30_000);
  expect(stdout).not.toContain('whsec_');
}, 90_000);
