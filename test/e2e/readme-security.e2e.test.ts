/**
 * The README's security walk-through, run as written: the commands of its `security-start` block start the
 * development issuer and the server (as `node dist/main.js`, on free ports instead of 9000 and 8080), and each
 * command of its `security-calls` block runs in bash and must print what its `# → …` comment says.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, spawnServer } from '../support/process.js';

const README = readFileSync('README.md', 'utf8');

/** The shell block right after `<!-- README example: NAME -->`. */
function exampleBlock(name: string): string[] {
  const match = new RegExp(`<!-- README example: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!match?.[1]) throw new Error(`README has no example block "${name}"`);
  return match[1].trim().split('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const goBin = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
let issuer: ChildProcess;
let server: ServerProcess;
let issuerPort: number;
let serverPort: number;
let dataDir: string;

const withPorts = (text: string) =>
  text.replaceAll('127.0.0.1:9000', `127.0.0.1:${issuerPort}`).replaceAll('127.0.0.1:8080', `127.0.0.1:${serverPort}`);

beforeAll(async () => {
  [issuerPort, serverPort] = [await freePort(), await freePort()];
  dataDir = mkdtempSync(join(tmpdir(), 'stategate-readme-'));
  const [issuerLine, serverLine] = exampleBlock('security-start');
  const issuerArgs = issuerLine!
    .replace(/^node /, '')
    .replace(/ 9000$/, ` ${issuerPort}`)
    .split(' ');
  issuer = spawn(process.execPath, issuerArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => issuer.stdout!.once('data', () => resolve()));
  // `VAR=value … npm start`: the same variables for the built server (npm start only builds first).
  expect(serverLine).toMatch(/ npm start$/);
  const env = Object.fromEntries(
    withPorts(serverLine!.replace(/ npm start$/, ''))
      .split(' ')
      .map((assignment) => assignment.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  server = await spawnServer({
    ...env,
    STATEGATE_PORT: String(serverPort),
    // The walk-through does not use the metrics port (default: port + 1, which need not be free here).
    STATEGATE_METRICS_PORT: '0',
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dataDir, 'stategate.db') }),
  });
});

afterAll(async () => {
  await server?.kill('SIGTERM');
  issuer?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

it('allows alice her own domain and denies her bob’s, on REST, GraphQL and gRPC, as the README prints', () => {
  const lines = exampleBlock('security-calls');
  const expected: string[] = [];
  const script = lines.map((line) => {
    const [command, expectation] = line.split(/\s+# → /);
    if (expectation === undefined) return withPorts(command!);
    expected.push(expectation);
    return `echo "--- ${expected.length}"; ${withPorts(command!)} 2>&1; echo`;
  });
  expect(expected.length).toBeGreaterThanOrEqual(8);
  const output = execFileSync('bash', ['-c', script.join('\n')], {
    encoding: 'utf8',
    env: { PATH: `${goBin}/bin:${process.env.PATH}` },
    timeout: 60_000,
  });
  const printed = output.split(/^--- \d+\n/m).slice(1);
  expect(printed).toHaveLength(expected.length);
  expected.forEach((want, i) => {
    expect(`${i + 1}: ${printed[i]}`).toContain(want);
  });
});
