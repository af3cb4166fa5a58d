import { pairKey, token } from '../../src/providers/nats/keys.js';

/** Reads a token back, to show that the encoding loses nothing. */
const decode = (t: string) => Buffer.from(t.slice(1), 'base64url').toString('utf8');

const awkward = ['', 'a.b', 'a b', 'ü😀', '*', '>', 'a.*.>', '$KV', '-_/=', '.', '€'.repeat(256), '\u0000\n'];

describe('nats keys', () => {
  it.each(awkward)('encodes %j as one valid KV key token, reversibly', (s) => {
    const t = token(s);
    expect(t).toMatch(/^[-_=a-zA-Z0-9]+$/); // no `.`, so a token is one subject token; no wildcards
    expect(decode(t)).toBe(s);
  });

  it('gives distinct pairs distinct keys, however a dot or nothing moves between domain and key', () => {
    const keys = new Set<string>();
    for (const d of awkward) for (const k of awkward) keys.add(pairKey(d, k));
    expect(keys.size).toBe(awkward.length ** 2);
    expect(pairKey('a.b', 'c')).not.toBe(pairKey('a', 'b.c'));
    expect(pairKey('', 'ab')).not.toBe(pairKey('a', 'b'));
    for (const key of keys) expect(key).toMatch(/^[-_=a-zA-Z0-9]+\.[-_=a-zA-Z0-9]+$/);
  });
});
