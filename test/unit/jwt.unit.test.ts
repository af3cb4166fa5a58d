/**
 * JWT verification (src/policy/jwt.ts, jwks.ts) against a real local JWKS server (test/support/jwks.ts):
 * every way a token is refused and the general message it gets, algorithm pinning and the classic
 * attacks, leeway, and how the JWKS is fetched, cached, paced and failed closed. The same cases run
 * through every transport in test/e2e/auth-*.e2e.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JwtConfig } from '../../src/config/config.js';
import { ASYMMETRIC_JWT_ALGORITHMS } from '../../src/config/env-schema.js';
import type { Logger } from '../../src/core/ports/logger.js';
import { AuthenticationError } from '../../src/policy/auth-error.js';
import { type Authenticator, createJwtAuthenticator } from '../../src/policy/jwt.js';
import {
  hmacWithPublicKey,
  type JwksServer,
  type KeyAlg,
  nowS,
  signToken,
  startJwksServer,
  unsignedToken,
} from '../support/jwks.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A logger that keeps every line, to show that no token ever reaches the log. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ ...obj, err: (obj as { err?: unknown }).err?.toString(), msg }));
  };
  return { lines, debug: log, info: log, warn: log, error: log };
}

function jwtConfig(uri: string, overrides: Partial<JwtConfig> = {}): JwtConfig {
  return {
    jwksUri: uri,
    algorithms: [...ASYMMETRIC_JWT_ALGORITHMS],
    leewaySeconds: 5,
    maxTokenBytes: 8192,
    jwksCooldownMs: 30_000,
    jwksCacheMaxAgeMs: 600_000,
    jwksTimeoutMs: 5000,
    ...overrides,
  };
}

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function setup(
  overrides: Partial<JwtConfig> = {},
  jwksOptions: { alg?: KeyAlg } = {},
): Promise<{ jwks: JwksServer; auth: Authenticator; logger: ReturnType<typeof recordingLogger> }> {
  const jwks = await startJwksServer(jwksOptions);
  opened.push(jwks);
  const logger = recordingLogger();
  const auth = createJwtAuthenticator(jwtConfig(jwks.url, overrides), logger);
  opened.push(auth);
  return { jwks, auth, logger };
}

/** The refusal of `token`, checked to be UNAUTHENTICATED with a message that contains no part of it. */
async function refusal(auth: Authenticator, token: string): Promise<string> {
  const err = await auth.authenticate(`Bearer ${token}`).then(
    (claims) => {
      throw new Error(`accepted, claims ${JSON.stringify(claims)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthenticationError);
  const { code, message } = err as AuthenticationError;
  expect(code).toBe('UNAUTHENTICATED');
  for (const part of token.split('.')) if (part.length > 4) expect(message).not.toContain(part);
  return message;
}

describe('a token signed by a published key', () => {
  it.each<KeyAlg>(['RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'EdDSA'])('verifies with %s', async (alg) => {
    const { jwks, auth } = await setup({}, { alg });
    const token = await jwks.sign({ sub: 'alice', claims: { role: 'admin' } });
    const claims = await auth.authenticate(`Bearer ${token}`);
    expect(claims).toMatchObject({ sub: 'alice', role: 'admin', exp: expect.any(Number) });
  });

  it('checks iss and aud when configured (aud may be a list holding ours)', async () => {
    const { jwks, auth } = await setup({ issuer: 'https://idp.test', audience: 'stategate' });
    const good = { iss: 'https://idp.test', aud: 'stategate' };
    await expect(auth.authenticate(`Bearer ${await jwks.sign(good)}`)).resolves.toMatchObject(good);
    const list = await jwks.sign({ iss: 'https://idp.test', aud: ['other', 'stategate'] });
    await expect(auth.authenticate(`Bearer ${list}`)).resolves.toMatchObject({ sub: 'user-1' });
    expect(await refusal(auth, await jwks.sign({ ...good, iss: 'https://evil.test' }))).toBe(
      'token issuer not accepted',
    );
    expect(await refusal(auth, await jwks.sign({ aud: 'stategate' }))).toBe('token has no iss claim');
    expect(await refusal(auth, await jwks.sign({ ...good, aud: 'other' }))).toBe('token audience not accepted');
    expect(await refusal(auth, await jwks.sign({ ...good, aud: ['a', 'b'] }))).toBe('token audience not accepted');
    expect(await refusal(auth, await jwks.sign({ iss: 'https://idp.test' }))).toBe('token has no aud claim');
  });

  it('ignores iss and aud when not configured', async () => {
    const { jwks, auth } = await setup();
    const token = await jwks.sign({ iss: 'anyone', aud: 'anything' });
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ iss: 'anyone' });
  });

  it('needs exp, and honours exp and nbf with the leeway', async () => {
    const { jwks, auth } = await setup({ leewaySeconds: 5 });
    const now = nowS();
    expect(await refusal(auth, await jwks.sign({ exp: null }))).toBe('token has no exp claim');
    expect(await refusal(auth, await jwks.sign({ exp: now - 60 }))).toBe('token expired');
    expect(await refusal(auth, await jwks.sign({ nbf: now + 60 }))).toBe('token not yet valid');
    expect(await refusal(auth, await jwks.sign({ claims: { exp: 'tomorrow' } }))).toBe('token exp claim invalid');
    expect(await refusal(auth, await jwks.sign({ claims: { nbf: 'soon' } }))).toBe('token nbf claim invalid');
    // Within the leeway: a clock a little ahead or behind the issuer's.
    await expect(auth.authenticate(`Bearer ${await jwks.sign({ exp: now - 2 })}`)).resolves.toBeDefined();
    await expect(auth.authenticate(`Bearer ${await jwks.sign({ nbf: now + 2 })}`)).resolves.toBeDefined();
  });

  it('with no leeway, a token expired a second ago is refused', async () => {
    const { jwks, auth } = await setup({ leewaySeconds: 0 });
    expect(await refusal(auth, await jwks.sign({ exp: nowS() - 1 }))).toBe('token expired');
  });

  it('without a kid is verified by the only key that fits; with several that fit it needs a kid', async () => {
    const { jwks, auth } = await setup();
    await expect(auth.authenticate(`Bearer ${await jwks.sign({ kid: null })}`)).resolves.toBeDefined();
    await jwks.createKey({ alg: 'RS256' });
    const fresh = createJwtAuthenticator(jwtConfig(jwks.url), recordingLogger());
    opened.push(fresh);
    expect(await refusal(fresh, await jwks.sign({ kid: null }))).toBe('ambiguous signing key: the token needs a kid');
  });
});

describe('refused tokens', () => {
  it('a tampered payload or signature: signature invalid', async () => {
    const { jwks, auth } = await setup();
    const [header, , signature] = (await jwks.sign({ sub: 'alice' })).split('.');
    const other = (await jwks.sign({ sub: 'mallory' })).split('.')[1];
    expect(await refusal(auth, `${header}.${other}.${signature}`)).toBe('signature invalid');
    const flipped = `${signature?.slice(0, -2)}${signature?.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await refusal(auth, `${header}.${other}.${flipped}`)).toBe('signature invalid');
  });

  it('alg none, and HS256 signed with the RSA public key as secret: algorithm not accepted', async () => {
    const { jwks, auth } = await setup();
    expect(await refusal(auth, unsignedToken({ header: { kid: jwks.current.kid } }))).toBe(
      'signing algorithm not accepted',
    );
    expect(await refusal(auth, await hmacWithPublicKey(jwks.current))).toBe('signing algorithm not accepted');
  });

  it('an algorithm outside STATEGATE_JWT_ALGORITHMS, even signed by a published key', async () => {
    const { jwks, auth } = await setup({ algorithms: ['ES256'] });
    expect(await refusal(auth, await jwks.sign())).toBe('signing algorithm not accepted');
  });

  it("an alg other than the key's own (a PS256 key named in an RS256 token): no such key", async () => {
    const { jwks, auth } = await setup({}, { alg: 'PS256' });
    expect(await refusal(auth, await jwks.sign({ alg: 'RS256' }))).toBe('unknown signing key');
  });

  it("an embedded jwk of the attacker's key is never used", async () => {
    const { jwks, auth } = await setup();
    const attacker = await jwks.createKey({ publish: false });
    const header = { jwk: attacker.publicJwk };
    // Naming a published kid: checked against that key, so the attacker's signature fails.
    expect(await refusal(auth, await signToken({ key: attacker, kid: jwks.current.kid, header }))).toBe(
      'signature invalid',
    );
    expect(await refusal(auth, await signToken({ key: attacker, header }))).toBe('unknown signing key');
    expect(await refusal(auth, await signToken({ key: attacker, kid: null, header }))).toBe('signature invalid');
  });

  it('jku and x5u are never followed: the attacker’s JWKS is never fetched', async () => {
    const { jwks, auth } = await setup();
    const evil = await startJwksServer();
    opened.push(evil);
    const header = { jku: evil.url, x5u: evil.url };
    expect(await refusal(auth, await signToken({ key: evil.current, header }))).toBe('unknown signing key');
    expect(await refusal(auth, await signToken({ key: evil.current, kid: jwks.current.kid, header }))).toBe(
      'signature invalid',
    );
    expect(evil.fetches).toBe(0);
  });

  it.each([
    ['path traversal', '../../../../etc/passwd'],
    ['a URL', 'http://127.0.0.1:1/jwks.json'],
    ['SQL', "' OR '1'='1' --"],
    ['NUL and newlines', 'a\u0000b\r\nc'],
    ['a very long kid', 'k'.repeat(2000)],
  ])('a kid with %s is just an unknown key', async (_what, kid) => {
    const { jwks, auth } = await setup();
    expect(await refusal(auth, await jwks.sign({ kid }))).toBe('unknown signing key');
  });

  it('an unknown critical header is refused', async () => {
    const { jwks, auth } = await setup();
    const token = await jwks.sign({ header: { crit: ['urn:x-evil'], 'urn:x-evil': true } });
    expect(await refusal(auth, token)).toBe('token uses an unsupported algorithm or header');
  });

  it('a header or payload that is not a JSON object: malformed', async () => {
    const { jwks, auth } = await setup();
    const [header, payload, signature] = (await jwks.sign()).split('.');
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    expect(await refusal(auth, `${b64('not json')}.${payload}.${signature}`)).toBe('token malformed');
    expect(await refusal(auth, `${header}.${b64('[1,2]')}.${signature}`)).toMatch(/signature invalid|malformed/);
    expect(await refusal(auth, `${b64('{"alg":"RS256"')}.${payload}.${signature}`)).toBe('token malformed');
  });

  it('a token over STATEGATE_JWT_MAX_BYTES is refused by its size, even validly signed', async () => {
    const { jwks, auth } = await setup({ maxTokenBytes: 1024 });
    const big = await jwks.sign({ claims: { pad: 'x'.repeat(2000) } });
    expect(await refusal(auth, big)).toBe('bearer token too large (at most 1024 bytes)');
  });

  it('no log line ever holds a token', async () => {
    const { jwks, auth, logger } = await setup({ jwksCooldownMs: 0 });
    const tokens = [
      await jwks.sign({ exp: nowS() - 100 }),
      await jwks.sign({ kid: 'nope' }),
      unsignedToken(),
      await hmacWithPublicKey(jwks.current),
    ];
    for (const token of tokens) await refusal(auth, token);
    jwks.setMode('error');
    await refusal(auth, await jwks.sign({ kid: 'other' }));
    const log = logger.lines.join('\n');
    expect(log).toMatch(/JWKS fetch failed/);
    for (const token of tokens)
      for (const part of token.split('.')) if (part.length > 4) expect(log).not.toContain(part);
  });
});

describe('the JWKS', () => {
  it('is fetched once at start and cached: many verifications, one fetch', async () => {
    const { jwks, auth } = await setup();
    const token = await jwks.sign();
    for (let i = 0; i < 20; i++) await auth.authenticate(`Bearer ${token}`);
    expect(jwks.fetches).toBe(1);
  });

  it('an unknown kid refetches, at most once per cooldown however many arrive', async () => {
    const { jwks, auth } = await setup({ jwksCooldownMs: 300 });
    const valid = await jwks.sign();
    await auth.authenticate(`Bearer ${valid}`);
    expect(jwks.fetches).toBe(1);
    // Within the cooldown of the first fetch: no fetch at all.
    const flood = () =>
      Promise.all(
        Array.from({ length: 100 }, async () => refusal(auth, await jwks.sign({ kid: `k-${Math.random()}` }))),
      );
    expect(new Set(await flood())).toEqual(new Set(['unknown signing key']));
    expect(jwks.fetches).toBe(1);
    await sleep(350);
    expect(new Set(await flood())).toEqual(new Set(['unknown signing key']));
    expect(jwks.fetches).toBe(2);
  });

  it('a key published later is found by the refetch its kid triggers', async () => {
    const { jwks, auth } = await setup({ jwksCooldownMs: 0 });
    await auth.authenticate(`Bearer ${await jwks.sign()}`);
    const next = await jwks.rotate();
    await expect(auth.authenticate(`Bearer ${await jwks.sign({ key: next })}`)).resolves.toBeDefined();
    expect(jwks.fetches).toBe(2);
  });

  it('a stale cache that cannot be refreshed (HTTP 500) is not used: fail closed, then recover', async () => {
    const { jwks, auth } = await setup({ jwksCacheMaxAgeMs: 300, jwksCooldownMs: 100 });
    const token = await jwks.sign();
    await auth.authenticate(`Bearer ${token}`);
    jwks.setMode('error');
    await sleep(350);
    expect(await refusal(auth, token)).toBe('signing keys unavailable: retry later');
    // Failed fetches are paced too: refusals inside the backoff do not fetch again.
    const before = jwks.fetches;
    for (let i = 0; i < 10; i++) expect(await refusal(auth, token)).toBe('signing keys unavailable: retry later');
    expect(jwks.fetches).toBe(before);
    jwks.setMode('ok');
    await sleep(150);
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toBeDefined();
  });

  it('a JWKS that hangs is given up after the timeout: refused, not hung', async () => {
    const { jwks, auth } = await setup({ jwksTimeoutMs: 200, jwksCacheMaxAgeMs: 300, jwksCooldownMs: 100 });
    const token = await jwks.sign();
    await auth.authenticate(`Bearer ${token}`);
    jwks.setMode('hang');
    await sleep(350);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refusal(auth, token)));
    expect(new Set(answers)).toEqual(new Set(['signing keys unavailable: retry later']));
    // The 20 concurrent lookups shared one fetch.
    expect(jwks.fetches).toBe(2);
  });

  it('a JWKS unreachable at start: refused until it is up, then accepted', async () => {
    const jwks = await startJwksServer();
    opened.push(jwks);
    jwks.setMode('error');
    const logger = recordingLogger();
    const auth = createJwtAuthenticator(jwtConfig(jwks.url, { jwksCooldownMs: 100 }), logger);
    opened.push(auth);
    const token = await jwks.sign();
    expect(await refusal(auth, token)).toBe('signing keys unavailable: retry later');
    expect(logger.lines.join('\n')).toMatch(/JWKS answered HTTP 500/);
    jwks.setMode('ok');
    await sleep(150);
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toBeDefined();
  });

  describe('answers that are not a key set are refused like an outage', () => {
    let server: Server;
    let body: (res: import('node:http').ServerResponse) => void;
    let url: string;
    beforeAll(async () => {
      server = createServer((_req, res) => body(res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it.each<[string, (res: import('node:http').ServerResponse, realUrl: string) => void, RegExp]>([
      ['HTML', (res) => res.end('<html>login</html>'), /not a JSON Web Key Set/],
      ['keys not a list', (res) => res.end('{"keys": "x"}'), /not a JSON Web Key Set/],
      ['over 1 MiB', (res) => res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(1_100_000) })), /larger than/],
      ['a redirect (to the real JWKS)', (res, real) => res.writeHead(302, { location: real }).end(), /HTTP 302/],
    ])('%s', async (_what, answer, logged) => {
      const jwks = await startJwksServer();
      opened.push(jwks);
      body = (res) => answer(res, jwks.url);
      const logger = recordingLogger();
      const auth = createJwtAuthenticator(jwtConfig(url), logger);
      opened.push(auth);
      expect(await refusal(auth, await jwks.sign())).toBe('signing keys unavailable: retry later');
      expect(logger.lines.join('\n')).toMatch(logged);
      expect(jwks.fetches).toBe(0);
    });
  });

  it('after close, nothing is fetched and tokens needing keys are refused', async () => {
    const { jwks, auth } = await setup({ jwksCooldownMs: 0 });
    await auth.authenticate(`Bearer ${await jwks.sign()}`);
    auth.close();
    expect(await refusal(auth, await jwks.sign({ kid: 'new' }))).toBe('signing keys unavailable: retry later');
    expect(jwks.fetches).toBe(1);
  });
});
