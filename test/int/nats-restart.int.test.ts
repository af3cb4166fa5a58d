import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StategateError } from '../../src/core/errors.js';
import type { CacheProvider, MutexProvider } from '../../src/core/ports/cache.js';
import { createNatsCache } from '../../src/providers/cache/nats-cache.js';
import { createNatsMutex } from '../../src/providers/mutex/nats-mutex.js';
import { needService, sleep } from '../contract/helpers.js';

/**
 * A NATS of this test's own (the binary scripts/services.sh installs), so it can be killed and restarted
 * without disturbing the shared one: calls fail UNAVAILABLE while it is down, the providers reconnect by
 * themselves, and what G7 needs survives the crash — fencing numbers keep rising. It requires a user and
 * password, as the seed's JSON form can give them.
 */
const binary = process.env.STATEGATE_TEST_NATS_SERVER ?? 'nats-server';
const credentials = { user: 'stategate', password: 's3cret pass' };

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

describe('nats cache and mutex on a NATS with a password, across a crash and restart', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;

  const start = async () => {
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir];
    args.push('--user', credentials.user, '--pass', credentials.password);
    server = spawn(binary, args, { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => server!.once('error', reject));
    // Ready once a provider can connect and open its bucket.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const probe = await Promise.race([
          createNatsCache({ url: `nats://127.0.0.1:${port}`, ...credentials }),
          failed,
        ]);
        await probe.close();
        return;
      } catch (err) {
        if (Date.now() > deadline || (err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
        await sleep(100);
      }
    }
  };
  const kill = async () => {
    const child = server!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL'); // a crash, not a clean shutdown
    await exited;
    server = undefined;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stategate-nats-'));
    port = await freePort();
    await needService(`nats-server (${binary})`, start());
  });
  afterAll(async () => {
    if (server) await kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with a wrong password, with UNAVAILABLE', async () => {
    const url = `nats://127.0.0.1:${port}`;
    for (const create of [createNatsCache, createNatsMutex]) {
      const err = await create({ url, user: credentials.user, password: 'wrong' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StategateError);
      expect((err as StategateError).code).toBe('UNAVAILABLE');
      expect((err as StategateError).message).toMatch(/authorization/i);
    }
  });

  it('fails UNAVAILABLE while NATS is down, recovers without reopening, and keeps fencing rising', async () => {
    const url = `nats://127.0.0.1:${port}`;
    const cache: CacheProvider = await createNatsCache({ url, ...credentials });
    const mutex: MutexProvider = await createNatsMutex({ url, ...credentials });
    try {
      await cache.set({ domain: 'd', key: 'k', value: 'kept' });
      const before = await mutex.lock({ domain: 'd', key: 'k' }, 60_000);
      expect(await mutex.unlock({ domain: 'd', key: 'k', token: before!.token })).toBe('released');

      await kill();
      for (const call of [
        () => cache.get({ domain: 'd', key: 'k' }),
        () => mutex.lock({ domain: 'd', key: 'k' }, 1000),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StategateError);
        expect((err as StategateError).code).toBe('UNAVAILABLE');
      }

      await start();
      const deadline = Date.now() + 15_000;
      for (;;) {
        const got = await cache.get({ domain: 'd', key: 'k' }).catch(() => undefined);
        if (got !== undefined) {
          expect(got?.value).toBe('kept'); // file storage: the value survived the crash
          break;
        }
        if (Date.now() > deadline) throw new Error('the cache did not reconnect within 15 s');
        await sleep(200);
      }
      // The mutex has a connection of its own, which may reconnect a moment after the cache's.
      let after: Awaited<ReturnType<MutexProvider['lock']>> | undefined;
      for (;;) {
        after = await mutex.lock({ domain: 'd', key: 'k' }, 60_000).catch((e: unknown) => {
          if ((e as StategateError).code !== 'UNAVAILABLE' || Date.now() > deadline) throw e;
          return undefined;
        });
        if (after !== undefined) break;
        await sleep(200);
      }
      expect(after!.fencing).toBeGreaterThan(before!.fencing);
      // A key never locked before the crash also gets a number above every earlier grant.
      const fresh = await mutex.lock({ domain: 'd', key: 'other' }, 60_000);
      expect(fresh!.fencing).toBeGreaterThan(after!.fencing);
    } finally {
      await Promise.all([cache.close(), mutex.close()]);
    }
  });
});
