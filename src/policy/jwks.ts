import { createRemoteJWKSet, customFetch, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/config.js';
import type { Logger } from '../core/ports/logger.js';
import { redactUrl } from '../providers/redact-url.js';

/** A JWKS is a handful of public keys; an answer larger than this is refused instead of being parsed. */
const MAX_JWKS_BYTES = 1024 * 1024;
/**
 * After a failed fetch, the next is not tried before this (nor before the cooldown, if shorter). jose
 * paces refetches after a success only; without this, every request with an unknown `kid` (or every
 * request, once the cache is stale) would fetch again while the JWKS is down: a flood passed on to it.
 * Short, so a JWKS that is back is used again within a second.
 */
const FAILED_FETCH_BACKOFF_MS = 1000;

/** The JWKS could not be fetched or was not a key set; verification fails closed. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

/** The signing keys of STATEGATE_JWKS_URI, as a jose key resolver. */
export interface JwksKeys {
  getKey: JWTVerifyGetKey;
  /** Aborts a fetch in flight; later lookups fail. */
  close(): void;
}

/**
 * jose's remote JWKS (cached for `jwksCacheMaxAgeMs`, refetched on an unknown `kid` at most once per
 * `jwksCooldownMs`, each fetch bounded by `jwksTimeoutMs`), with what jose leaves to its user: failed
 * fetches are paced too, the answer's size is capped, failures are logged, and the first fetch starts at
 * once so a JWKS that is unreachable at start is reported then. A stale cache that cannot be refreshed is
 * not used (jose awaits the refetch and throws its failure): fail closed.
 */
export function createJwksKeys(config: JwtConfig, logger: Logger): JwksKeys {
  const where = redactUrl(config.jwksUri);
  const closed = new AbortController();
  const backoffMs = Math.min(FAILED_FETCH_BACKOFF_MS, config.jwksCooldownMs);
  let retryNotBefore = 0;

  const fetchJwks: FetchImplementation = async (url, init) => {
    if (closed.signal.aborted) throw new JwksUnavailableError('JWKS closed');
    if (Date.now() < retryNotBefore) throw new JwksUnavailableError('JWKS fetch failed recently');
    try {
      const signal = AbortSignal.any([init.signal, closed.signal]);
      const response = await fetch(url, { ...init, signal });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new JwksUnavailableError(`JWKS answered HTTP ${response.status}`);
      }
      const text = await readCapped(response, MAX_JWKS_BYTES);
      if (!isKeySet(text)) throw new JwksUnavailableError('JWKS answer is not a JSON Web Key Set');
      retryNotBefore = 0;
      logger.debug({ jwks: where }, 'JWKS fetched');
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      retryNotBefore = Date.now() + backoffMs;
      const reason = err instanceof JwksUnavailableError ? err.message : describeFetchError(err, init.signal);
      if (!closed.signal.aborted) {
        logger.warn({ jwks: where, reason }, 'JWKS fetch failed: tokens signed by keys not cached are refused');
      }
      throw err instanceof JwksUnavailableError ? err : new JwksUnavailableError(reason, { cause: err });
    }
  };

  const remote = createRemoteJWKSet(new URL(config.jwksUri), {
    cacheMaxAge: config.jwksCacheMaxAgeMs,
    cooldownDuration: config.jwksCooldownMs,
    timeoutDuration: config.jwksTimeoutMs,
    [customFetch]: fetchJwks,
  });
  // Failures are logged by fetchJwks; requests fetch again (paced) when they need keys.
  remote.reload().catch(() => {});

  return {
    getKey: (header, token) => remote(header, token),
    close: () => closed.abort(),
  };
}

/** The body as text, or a JwksUnavailableError once it passes `max` bytes. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new JwksUnavailableError(`JWKS answer larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isKeySet(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      Array.isArray((parsed as { keys?: unknown }).keys) &&
      (parsed as { keys: unknown[] }).keys.every((key) => typeof key === 'object' && key !== null)
    );
  } catch {
    return false;
  }
}

function describeFetchError(err: unknown, timeout: AbortSignal): string {
  if (timeout.aborted) return 'JWKS did not answer in time';
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? `: ${cause.code}` : '';
  return `JWKS unreachable${code}`;
}
