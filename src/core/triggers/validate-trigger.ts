import { invalid } from '../errors.js';
import type { Limits } from '../limits.js';
import { requireName } from '../validate.js';
import { TRIGGER_DEFAULTS, type TriggerInput, type TriggerSpec } from './model.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** Headers stategate sets itself: a trigger may not override the signature, the body's framing or the host. */
const RESERVED_HEADER = /^(webhook-.*|content-.*|host|transfer-encoding|connection|te|upgrade|trailer|keep-alive)$/i;
const MAX_HEADERS = 32;
const MAX_HEADER_VALUE = 4096;
const MAX_URL = 2048;

/** Validates a trigger and fills in its defaults; `from` is handled by the caller (it needs the log's head). */
export function validateTrigger(input: TriggerInput, limits: Pick<Limits, 'globLength'>): TriggerSpec {
  if (input === null || typeof input !== 'object') throw invalid('a trigger must be an object');
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw invalid('trigger name must be 1-64 letters, digits, _ . or - (starting with a letter or digit)');
  }
  const glob = (field: 'domain' | 'type' | 'key', value: unknown) => {
    if (typeof value !== 'string' || value.length === 0) throw invalid(`trigger ${field} must be a glob, e.g. *`);
    if (value.length > limits.globLength) throw invalid(`trigger ${field} is longer than ${limits.globLength}`);
    return requireName(field, value);
  };
  return {
    name: input.name,
    url: validateUrl(input.url),
    domain: glob('domain', input.domain),
    type: glob('type', input.type),
    key: glob('key', input.key ?? TRIGGER_DEFAULTS.key),
    secret: validateSecret(input.secret),
    headers: validateHeaders(input.headers),
    timeoutMs: boundedInt('timeoutMs', input.timeoutMs, TRIGGER_DEFAULTS.timeoutMs, 100, 120_000),
    maxAttempts: boundedInt('maxAttempts', input.maxAttempts, TRIGGER_DEFAULTS.maxAttempts, 1, 1000),
  };
}

/** `from`: `now` (default) or a log position delivery starts after. */
export function validateFrom(from: unknown): 'now' | number {
  if (from === undefined || from === null || from === 'now') return 'now';
  if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) return from;
  if (typeof from === 'string' && /^\d{1,15}$/.test(from)) return Number(from);
  throw invalid('trigger from must be "now" or a log position (a whole number >= 0)');
}

function validateUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_URL || !URL.canParse(value)) {
    throw invalid('trigger url must be an http:// or https:// URL');
  }
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('trigger url must be http:// or https://');
  // Credentials in a URL end up in logs and in the API's answers; a header is the place for them.
  if (url.username !== '' || url.password !== '') throw invalid('trigger url must not carry credentials');
  if (url.hash !== '') throw invalid('trigger url must not have a #fragment');
  return url.toString();
}

function validateSecret(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('whsec_')) {
    throw invalid('trigger secret must be whsec_ followed by base64 (e.g. whsec_$(openssl rand -base64 32))');
  }
  const body = value.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw invalid('trigger secret must be whsec_ followed by base64');
  }
  const bytes = Buffer.from(body, 'base64').length;
  if (bytes < 24 || bytes > 64) throw invalid('trigger secret must hold 24 to 64 bytes (base64 after whsec_)');
  return value;
}

function validateHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('trigger headers must be an object');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw invalid(`trigger headers: at most ${MAX_HEADERS}`);
  const headers: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!HEADER_NAME.test(name)) throw invalid(`trigger header "${name.slice(0, 64)}" is not a header name`);
    if (RESERVED_HEADER.test(name)) throw invalid(`trigger header ${name} is set by stategate`);
    // No control characters: a CR or LF would split the request (header injection).
    if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE || hasControlCharacter(v)) {
      throw invalid(`trigger header ${name} must be a string of printable characters`);
    }
    headers[name.toLowerCase()] = v;
  }
  return headers;
}

function boundedInt(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`trigger ${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Any control character but TAB (which header values may hold). */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}
