/**
 * The JWKS behind authentication, seen through every transport of a real server (test/support/jwks.ts is
 * the identity provider): keys cached, a rotated-in key found by the refetch its kid triggers, a removed
 * key refused once the cache expires, a flood of random kids costing at most one fetch per cooldown, and a
 * JWKS answering 500 or hanging failing closed once the cache is stale — then recovering.
 */
import { GrpcClient } from '../support/grpc.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type Answer, type AuthTarget, callWith, TRANSPORTS } from './auth-helpers.js';
import { openStore, sleep, until } from './helpers.js';

const D = 'e2e-auth-jwks';

interface Setup {
  jwks: JwksServer;
  server: TestServer;
  grpc: GrpcClient;
  store: ReturnType<typeof openStore>;
  target: AuthTarget;
}

/** A JWKS and a server using it with these JWKS timings; closed after the describe's tests. */
function withServer(env: Record<string, string>): () => Setup {
  let setup: Setup | undefined;
  beforeAll(async () => {
    const jwks = await startJwksServer();
    const server = await startTestServer({ STATEGATE_JWKS_URI: jwks.url, ...env });
    const grpc = new GrpcClient(server.app.url.replace(/^http:\/\//, ''));
    setup = { jwks, server, grpc, store: openStore(server), target: { server, grpc, domain: D } };
    // The server fetches the JWKS at start.
    await until(() => jwks.fetches === 1, 'the JWKS fetch at start');
  });
  afterAll(async () => {
    setup?.store.close();
    setup?.grpc.close();
    await setup?.server.close();
    await setup?.jwks.close();
  });
  return () => {
    if (!setup) throw new Error('server not started');
    return setup;
  };
}

/** The answers of every transport to one authorization, by transport. */
async function onEveryTransport(target: AuthTarget, authorization: string): Promise<Record<string, Answer>> {
  const answers = await Promise.all(TRANSPORTS.map((t) => callWith(target, t, authorization)));
  return Object.fromEntries(TRANSPORTS.map((t, i) => [t, answers[i] as Answer]));
}

const everywhere = (answer: Partial<Answer>) =>
  Object.fromEntries(TRANSPORTS.map((t) => [t, expect.objectContaining(answer)]));

/** A refusal with this message, on any transport (graphql-ws puts it in its close reason). */
const refused = (message: string) => ({
  accepted: false,
  code: 'UNAUTHENTICATED',
  message: expect.stringMatching(new RegExp(`^(Unauthorized: )?${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)),
});

describe('keys are cached and rotated', () => {
  const get = withServer({ STATEGATE_JWKS_COOLDOWN_MS: '200', STATEGATE_JWKS_CACHE_MAX_AGE_MS: '1000' });

  it('a new kid in the JWKS is accepted after the refetch it triggers; a removed kid is refused once the cache expires', async () => {
    const { jwks, target, store } = get();
    const old = jwks.current;
    const oldToken = `Bearer ${await jwks.sign({ sub: 'rotation' })}`;
    expect(await onEveryTransport(target, oldToken)).toEqual(everywhere({ accepted: true }));

    const next = await jwks.rotate();
    await sleep(250); // past the cooldown of the last fetch
    const fetchesBefore = jwks.fetches;
    const newToken = `Bearer ${await jwks.sign({ key: next, sub: 'rotation' })}`;
    expect(await onEveryTransport(target, newToken)).toEqual(everywhere({ accepted: true }));
    // One refetch found the new key for all eight (two if the cache also went stale meanwhile).
    expect(jwks.fetches - fetchesBefore).toBeGreaterThanOrEqual(1);
    expect(jwks.fetches - fetchesBefore).toBeLessThanOrEqual(2);

    jwks.unpublish(old.kid);
    await sleep(1100); // past the cache's max age
    const before = store.state();
    expect(await onEveryTransport(target, oldToken)).toEqual(everywhere(refused('unknown signing key')));
    expect(store.state()).toEqual(before);
    expect(await onEveryTransport(target, newToken)).toEqual(everywhere({ accepted: true }));
  });
});

describe('a flood of random kids', () => {
  const COOLDOWN_MS = 1000;
  const get = withServer({
    STATEGATE_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
    STATEGATE_JWKS_CACHE_MAX_AGE_MS: '600000',
  });

  it('known keys are served from the cache: many verified calls, no fetch', async () => {
    const { jwks, target } = get();
    const token = `Bearer ${await jwks.sign()}`;
    jwks.resetFetches();
    for (let i = 0; i < 5; i++) expect(await onEveryTransport(target, token)).toEqual(everywhere({ accepted: true }));
    expect(jwks.fetches).toBe(0);
  });

  it('200 random kids at once cost one fetch; a sustained flood at most one per cooldown', async () => {
    const { jwks, target, store } = get();
    await sleep(COOLDOWN_MS + 100);
    jwks.resetFetches();
    const before = store.state();
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 200 }, async (_, i) =>
        callWith(
          target,
          TRANSPORTS[i % TRANSPORTS.length] as (typeof TRANSPORTS)[number],
          `Bearer ${await jwks.sign({ kid: `random-${i}-${Math.random()}` })}`,
        ),
      ),
    );
    for (const answer of burst) expect(answer).toEqual(expect.objectContaining(refused('unknown signing key')));
    const burstMs = Date.now() - started;
    expect(jwks.fetches).toBeGreaterThanOrEqual(1);
    expect(jwks.fetches).toBeLessThanOrEqual(1 + Math.floor(burstMs / COOLDOWN_MS));

    // Keep flooding for 2.5 cooldowns.
    while (Date.now() - started < 2.5 * COOLDOWN_MS) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async () =>
          callWith(target, 'rest', `Bearer ${await jwks.sign({ kid: `r-${Math.random()}` })}`),
        ),
      );
      for (const answer of batch) expect(answer).toMatchObject(refused('unknown signing key'));
    }
    const elapsed = Date.now() - started;
    expect(jwks.fetches).toBeLessThanOrEqual(1 + Math.floor(elapsed / COOLDOWN_MS));
    expect(store.state()).toEqual(before);
    // Valid tokens still work through it.
    expect(await callWith(target, 'grpc', `Bearer ${await jwks.sign()}`)).toMatchObject({ accepted: true });
  });
});

describe('a failing JWKS', () => {
  const get = withServer({
    STATEGATE_JWKS_COOLDOWN_MS: '200',
    STATEGATE_JWKS_CACHE_MAX_AGE_MS: '1000',
    STATEGATE_JWKS_TIMEOUT_MS: '500',
  });

  it.each(['error', 'hang'] as const)(
    'answering %s: once the cache is stale every transport refuses (no hang), and recovers with the JWKS',
    async (mode) => {
      const { jwks, target, store } = get();
      const token = `Bearer ${await jwks.sign({ sub: `failing-${mode}` })}`;
      expect(await onEveryTransport(target, token)).toEqual(everywhere({ accepted: true }));
      jwks.setMode(mode);
      await sleep(1100); // the cache is stale now
      const before = store.state();
      expect(await onEveryTransport(target, token)).toEqual(
        everywhere(refused('signing keys unavailable: retry later')),
      );
      // An unknown kid as well.
      const unknown = `Bearer ${await jwks.sign({ kid: 'not-there' })}`;
      expect(await onEveryTransport(target, unknown)).toEqual(
        everywhere(refused('signing keys unavailable: retry later')),
      );
      expect(store.state()).toEqual(before);

      jwks.setMode('ok');
      await sleep(250); // past the pause after a failed fetch
      expect(await onEveryTransport(target, token)).toEqual(everywhere({ accepted: true }));
    },
  );
});
