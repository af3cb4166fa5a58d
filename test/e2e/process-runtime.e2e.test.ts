/**
 * The built server as an OS process (`node dist/main.js`): clean SIGTERM with an open subscription,
 * refusing a bad configuration with a message that names the variable, and protected mode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gql } from '../support/graphql.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import { nonLoopbackIPv4, ok, runExpectingExit, SET_ENTITY, waitUntil } from './guarantees-helpers.js';

let dir: string;
const running: ServerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-runtime-'));
});
afterAll(async () => {
  for (const server of running) await server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await spawnServer({
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, `${name}.db`) }),
    ...env,
  });
  running.push(server);
  return server;
}

test('SIGTERM stops the server cleanly (exit 0, "stopped") and ends an open subscription', async () => {
  const server = await start('sigterm');
  const graphqlUrl = `${server.url}/api/graphql`;
  let closed: { code: number; reason: string } | undefined;
  const client = createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closed = { code: e.code, reason: String(e.reason) };
      },
    },
  });
  const received: Array<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }> = [];
  let ended: 'complete' | 'error' | undefined;
  client.subscribe(
    { query: 'subscription { streamEvents(input: {domain: "rt"}) { position entity { key } } }' },
    {
      next: (value) => {
        received.push(value as (typeof received)[number]);
      },
      error: () => {
        ended = 'error';
      },
      complete: () => {
        ended = 'complete';
      },
    },
  );
  // The subscription is live once it has delivered an event written after it was opened.
  await waitUntil(async () => {
    ok(await gql(graphqlUrl, SET_ENTITY, { input: { domain: 'rt', type: 't', key: 'k', values: { a: 1 } } }), 'set');
    return received.length > 0;
  }, 'the subscription delivered an event');

  const code = await server.kill('SIGTERM');
  expect(code).toBe(0);
  expect(server.child.signalCode).toBeNull();
  await waitUntil(() => server.logs.some((l) => l.msg === 'stopped'), 'the log said stopped', 5_000);
  expect(server.logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
  expect(server.stderr()).toBe('');

  // The server ended the subscription with a clear reason: a last payload UNAVAILABLE ("server is shutting
  // down"), then complete; then the socket closed with 1001 "Going away" (graphql-ws clients retry that).
  await waitUntil(() => ended !== undefined && closed !== undefined, 'the subscription ended', 5_000);
  expect(ended).toBe('complete');
  const last = received[received.length - 1]!;
  expect(last.data).toBeNull();
  expect(last.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
  expect(received.slice(0, -1).every((item) => !item.errors)).toBe(true);
  expect(closed).toEqual({ code: 1001, reason: 'Going away' });
  await client.dispose();
});

test.each([
  ['STATEGATE_PORT', 'eighty', /STATEGATE_PORT: must be a whole number/],
  ['STATEGATE_STORAGE_PROVIDER', '{bad', /STATEGATE_STORAGE_PROVIDER: must be JSON/],
  ['STATEGATE_STREAM_BUFFER', '0', /STATEGATE_STREAM_BUFFER/],
])('a bad %s (%s) stops dist/main.js with a non-zero exit and names the variable', async (name, value, message) => {
  const result = await runExpectingExit({
    STATEGATE_PORT: '0',
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'never.db') }),
    [name]: value,
  });
  expect(result.timedOut).toBe(false);
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stderr).toMatch(message);
});

/** Whether an HTTP GET of /healthz at host:port gets a 200, or the error code that stopped it. */
async function reach(host: string, port: string): Promise<string> {
  try {
    const res = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
    return String(res.status);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(err);
  }
}

test('protected mode: without STATEGATE_AUTH_DISABLED it says so and listens on loopback only', async () => {
  const server = await start('protected');
  const isWarning = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith('protected mode');
  // It is logged right after "stategate listening".
  await waitUntil(() => server.logs.some(isWarning), 'the protected-mode warning was logged', 5_000);
  const warning = server.logs.find(isWarning);
  expect(warning!.host).toBe('127.0.0.1');
  const url = new URL(server.url);
  expect(url.hostname).toBe('127.0.0.1');
  expect(await reach('127.0.0.1', url.port)).toBe('200');

  const external = nonLoopbackIPv4();
  if (!external) {
    console.info('protected mode: this machine has no non-loopback IPv4 address; the off-loopback check is skipped');
    return;
  }
  expect(await reach(external, url.port)).toBe('ECONNREFUSED');
  console.info(`protected mode: ${external}:${url.port} refused, 127.0.0.1:${url.port} served`);
});

test('with STATEGATE_AUTH_DISABLED=true it listens on every interface (0.0.0.0) and is not in protected mode', async () => {
  const server = await start('open', { STATEGATE_AUTH_DISABLED: 'true' });
  const { port } = new URL(server.url);
  expect(await reach('127.0.0.1', port)).toBe('200');
  // Its start-up logs are all out by the time it has served a request.
  expect(server.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('protected mode'))).toBe(false);
  const external = nonLoopbackIPv4();
  if (!external) {
    console.info('auth disabled: this machine has no non-loopback IPv4 address; the off-loopback check is skipped');
    return;
  }
  expect(await reach(external, port)).toBe('200');
  expect(await server.kill('SIGTERM')).toBe(0);
});
