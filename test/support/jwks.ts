import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { base64url, type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * A local JWKS server for tests: an identity provider's key endpoint on a free loopback port, serving the
 * public half of keys it generates, and signing tokens with their private half. It can rotate keys,
 * answer 500 or hang like a failing provider, and counts every fetch.
 *
 *   const jwks = await startJwksServer();
 *   const server = await startTestServer({ STATEGATE_JWKS_URI: jwks.url });
 *   const token = await jwks.sign({ sub: 'alice', expiresInS: 60 });
 *   fetch(url, { headers: { authorization: `Bearer ${token}` } });
 */

/** Asymmetric JWS algorithms the server can generate keys for. */
export type KeyAlg = 'RS256' | 'RS384' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/** A signing key: its private half signs tokens, its public JWK is what the JWKS serves while published. */
export interface TestKey {
  kid: string;
  alg: KeyAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK with `kid`, `alg` and `use: "sig"`, as served. */
  publicJwk: JWK;
}

/** How the endpoint answers: the key set, HTTP 500, or never (the request hangs until close). */
export type JwksMode = 'ok' | 'error' | 'hang';

/** What a test token carries. Times are seconds; absolute ones since the epoch (JWT NumericDate). */
export interface SignOptions {
  /** Signing key; default the server's current key. */
  key?: TestKey;
  /** The header's `kid`: default the key's; `null` leaves it out. */
  kid?: string | null;
  /** The header's `alg`; default the key's. (Signing still uses the key's own algorithm.) */
  alg?: string;
  /** More protected-header fields, e.g. `jku`, `x5u`, `jwk`, `crit`. */
  header?: Record<string, unknown>;
  sub?: string | null;
  iss?: string;
  aud?: string | string[];
  /** `exp` = now + this; default 300. Ignored when `exp` is given. */
  expiresInS?: number;
  /** Absolute `exp`; `null` leaves the claim out. */
  exp?: number | null;
  /** Absolute `nbf`. */
  nbf?: number;
  /** Absolute `iat`; default now. */
  iat?: number;
  /** Any further claims. */
  claims?: Record<string, unknown>;
}

export interface JwksServer {
  /** http://127.0.0.1:PORT/.well-known/jwks.json */
  url: string;
  /** Requests received (whatever the answer), since start or the last `resetFetches()`. */
  readonly fetches: number;
  resetFetches(): void;
  /** The key `sign` uses by default: the first one, or the latest `rotate()`d in. */
  readonly current: TestKey;
  /** The keys served now. */
  readonly published: readonly TestKey[];
  /** Makes a key (published unless `publish: false`; an unpublished key is the attacker's or a future one). */
  createKey(options?: { alg?: KeyAlg; kid?: string; publish?: boolean }): Promise<TestKey>;
  publish(key: TestKey): void;
  unpublish(kid: string): void;
  /** A new key, published and made current; the others stay published until `unpublish`ed. */
  rotate(alg?: KeyAlg): Promise<TestKey>;
  /** Switches how the endpoint answers; hanging requests are released (answered) when leaving `hang`. */
  setMode(mode: JwksMode): void;
  /** A signed JWT. */
  sign(options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

export const nowS = () => Math.floor(Date.now() / 1000);

const DEFAULT_SUB = 'user-1';

/** Starts the JWKS server with one published key of `alg` (default RS256). */
export async function startJwksServer(options: { alg?: KeyAlg } = {}): Promise<JwksServer> {
  let keys: TestKey[] = [];
  let current: TestKey;
  let mode: JwksMode = 'ok';
  let fetches = 0;
  const hanging = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const answer = (res: ServerResponse) => {
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  };
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    fetches++;
    req.resume();
    if (mode === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    answer(res);
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  const createKey: JwksServer['createKey'] = async ({ alg = options.alg ?? 'RS256', kid, publish = true } = {}) => {
    const pair = await generateKeyPair(alg, { extractable: true });
    const id = kid ?? `key-${randomUUID().slice(0, 8)}`;
    const jwk = await exportJWK(pair.publicKey);
    const key: TestKey = {
      kid: id,
      alg,
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      publicJwk: { ...jwk, kid: id, alg, use: 'sig' },
    };
    if (publish) keys.push(key);
    return key;
  };
  current = await createKey();

  const server: JwksServer = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    resetFetches: () => {
      fetches = 0;
    },
    get current() {
      return current;
    },
    get published() {
      return [...keys];
    },
    createKey,
    publish: (key) => {
      if (!keys.includes(key)) keys.push(key);
    },
    unpublish: (kid) => {
      keys = keys.filter((k) => k.kid !== kid);
    },
    async rotate(alg) {
      current = await createKey(alg ? { alg } : {});
      return current;
    },
    setMode(next) {
      mode = next;
      if (next !== 'hang') for (const res of hanging) answer(res);
    },
    sign: (signOptions = {}) => signToken({ key: current, ...signOptions }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}

/** The claims a token carries under `options` (defaults: sub user-1, iat now, exp now + 300). */
export function tokenClaims(options: SignOptions = {}): Record<string, unknown> {
  const now = nowS();
  const claims: Record<string, unknown> = { iat: options.iat ?? now };
  const sub = options.sub === undefined ? DEFAULT_SUB : options.sub;
  if (sub !== null) claims.sub = sub;
  if (options.iss !== undefined) claims.iss = options.iss;
  if (options.aud !== undefined) claims.aud = options.aud;
  const exp = options.exp === undefined ? now + (options.expiresInS ?? 300) : options.exp;
  if (exp !== null) claims.exp = exp;
  if (options.nbf !== undefined) claims.nbf = options.nbf;
  return { ...claims, ...options.claims };
}

/** A JWT signed with `options.key` (required here), with the header and claims `options` describe. */
export async function signToken(options: SignOptions & { key: TestKey }): Promise<string> {
  const { key } = options;
  const header: Record<string, unknown> = { alg: options.alg ?? key.alg, typ: 'JWT', ...options.header };
  const kid = options.kid === undefined ? key.kid : options.kid;
  if (kid !== null) header.kid = kid;
  if (header.alg !== key.alg || header.crit !== undefined) {
    // SignJWT refuses a header alg other than the key's, and a `crit` it does not know: sign by hand.
    return forge(header, tokenClaims(options), (input) => signRaw(key, input));
  }
  return new SignJWT(tokenClaims(options)).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** `alg: none`: an unsigned token with an empty signature. */
export function unsignedToken(options: SignOptions = {}): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT', ...options.header })}.${encode(tokenClaims(options))}.`;
}

/**
 * The algorithm-confusion attack: HS256 "signed" with the RSA public key (its PEM) as the HMAC secret,
 * which a verifier that takes `alg` from the token and uses the key it found as a secret would accept.
 */
export async function hmacWithPublicKey(key: TestKey, options: SignOptions = {}): Promise<string> {
  const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
  return new SignJWT(tokenClaims(options)).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid }).sign(secret);
}

/** The JWS signature (base64url) of `input` by the key, made with WebCrypto as jose would for its alg. */
async function signRaw(key: TestKey, input: string): Promise<string> {
  const params: Record<KeyAlg, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
    RS256: { name: 'RSASSA-PKCS1-v1_5' },
    RS384: { name: 'RSASSA-PKCS1-v1_5' },
    PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
    ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    ES384: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
    EdDSA: { name: 'Ed25519' },
  };
  const signature = await crypto.subtle.sign(params[key.alg], key.privateKey, new TextEncoder().encode(input));
  return base64url.encode(new Uint8Array(signature));
}

/** A header and claims with a signature made by `signature(signingInput)`. */
async function forge(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature: (signingInput: string) => Promise<string>,
): Promise<string> {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${await signature(input)}`;
}
