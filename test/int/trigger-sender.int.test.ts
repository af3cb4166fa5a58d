import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Event } from '../../src/core/model.js';
import type { TriggerSpec } from '../../src/core/triggers/model.js';
import { refusedAddress } from '../../src/server/triggers/address-guard.js';
import { parseRetryAfter } from '../../src/server/triggers/retry-after.js';
import { createWebhookSender } from '../../src/server/triggers/webhook-sender.js';
import { newSecret } from '../e2e/trigger-helpers.js';

/** The HTTP side of delivery against a real loopback server: what it refuses, follows, reads and reports. */
let server: Server;
let port = 0;
const seen: string[] = [];
type Answer = { status: number; headers?: Record<string, string>; body?: string };
let answer: (path: string) => Answer = () => ({ status: 200 });

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (req.url === '/slow') return; // never answers
      const a = answer(req.url ?? '');
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const event: Event = {
  id: '6f1c4a0e-1b1e-4c5b-9a7e-2d3f4a5b6c7d',
  entity: { domain: 'd', type: 't', key: 'k', values: { a: 1 }, version: 1 },
  claims: {},
  time: 1_700_000_000_000_000_000n,
  method: '/stategate.EntityService/Set',
  position: 7,
};
const spec = (path: string, overrides: Partial<TriggerSpec> = {}): TriggerSpec => ({
  name: 'x',
  url: `http://127.0.0.1:${port}${path}`,
  domain: '*',
  type: '*',
  key: '*',
  secret: newSecret(),
  headers: {},
  timeoutMs: 2000,
  maxAttempts: 3,
  ...overrides,
});
const signal = new AbortController().signal;

it('refuses loopback at send time without calling it, unless private targets are allowed', async () => {
  const guarded = createWebhookSender({ allowPrivate: false });
  const open = createWebhookSender({ allowPrivate: true });
  try {
    seen.length = 0;
    expect(await guarded.send(spec('/a'), event, signal)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^refused/),
    });
    expect(await guarded.send({ ...spec('/b'), url: `http://localhost:${port}/b` }, event, signal)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/refused/),
    });
    expect(seen).toEqual([]);
    expect(await open.send(spec('/c'), event, signal)).toEqual({ ok: true, status: 200 });
    expect(seen).toEqual(['/c']);
    await expect(guarded.checkTarget(`http://localhost:${port}/`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(open.checkTarget(`http://localhost:${port}/`)).resolves.toBeUndefined();
  } finally {
    guarded.close();
    open.close();
  }
});

it('does not follow redirects, caps what it reads of an answer, reports Retry-After and timeouts', async () => {
  const sender = createWebhookSender({ allowPrivate: true, maxResponseBytes: 64 });
  try {
    seen.length = 0;
    answer = (path): Answer =>
      path === '/redirect'
        ? { status: 302, headers: { location: '/elsewhere' } }
        : path === '/big'
          ? { status: 500, body: 'x'.repeat(1_000_000) }
          : { status: 429, headers: { 'retry-after': '7' } };
    expect(await sender.send(spec('/redirect'), event, signal)).toEqual({ ok: false, error: 'HTTP 302' });
    expect(seen).toEqual(['/redirect']);
    const big = await sender.send(spec('/big'), event, signal);
    expect(big.ok).toBe(false);
    expect((big as { error: string }).error.length).toBeLessThan(250);
    expect(await sender.send(spec('/busy'), event, signal)).toEqual({
      ok: false,
      error: 'HTTP 429',
      retryAfterMs: 7000,
    });
    expect(await sender.send({ ...spec('/slow'), timeoutMs: 300 }, event, signal)).toEqual({
      ok: false,
      error: 'timeout after 300 ms',
    });
  } finally {
    answer = () => ({ status: 200 });
    sender.close();
  }
});

it('knows the private, reserved and metadata ranges, also inside IPv6', () => {
  for (const a of [
    '127.0.0.1',
    '10.0.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a9fe:a9fe',
    'ff02::1',
  ]) {
    expect([a, refusedAddress(a)]).toEqual([a, expect.stringMatching(/private or reserved/)]);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8', '172.32.0.1']) {
    expect([a, refusedAddress(a)]).toEqual([a, null]);
  }
});

it('reads Retry-After as seconds or an HTTP date', () => {
  expect(parseRetryAfter('5')).toBe(5000);
  expect(parseRetryAfter(new Date(1_000_000 + 10_000).toUTCString(), 1_000_000)).toBe(10_000);
  expect(parseRetryAfter('soon')).toBeUndefined();
  expect(parseRetryAfter(undefined)).toBeUndefined();
});
