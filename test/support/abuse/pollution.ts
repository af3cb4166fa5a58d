import { runInThisContext } from 'node:vm';

/**
 * Prototype-pollution checks of the server process. The test server runs in this process, and jest runs
 * it (and this file) in a vm context of its own: objects the server's code builds (JSON.parse, spreads,
 * assignments) inherit from that context's Object.prototype, while node's own modules build objects of
 * the outer realm. Both are checked: no new key on either Object.prototype, and `({}).polluted` is
 * undefined in both.
 */

const WATCHED = ['polluted', 'isAdmin', 'x', 'a', 'foo', 'toString2'] as const;

function outerPrototypeKeys(): string[] {
  return runInThisContext('Reflect.ownKeys(Object.prototype).map(String)') as string[];
}

function outerPolluted(): unknown[] {
  return runInThisContext(`[${WATCHED.map((k) => `({}).${k}`).join(',')}]`) as unknown[];
}

const baseline = {
  inner: Reflect.ownKeys(Object.prototype).map(String).sort(),
  outer: outerPrototypeKeys().sort(),
  array: Reflect.ownKeys(Array.prototype).map(String).sort(),
};

/** Throws when either realm's Object.prototype (or this realm's Array.prototype) gained a key. */
export function expectNoPollution(): void {
  const probe: Record<string, unknown> = {};
  for (const key of WATCHED) {
    if (probe[key] !== undefined) throw new Error(`prototype polluted: ({}).${key} is ${String(probe[key])}`);
  }
  const outer = outerPolluted();
  outer.forEach((value, i) => {
    if (value !== undefined) throw new Error(`outer realm polluted: ({}).${WATCHED[i]} is ${String(value)}`);
  });
  const inner = Reflect.ownKeys(Object.prototype).map(String).sort();
  const outerNow = outerPrototypeKeys().sort();
  const array = Reflect.ownKeys(Array.prototype).map(String).sort();
  const added = (now: string[], before: string[]) => now.filter((k) => !before.includes(k));
  const problems = [
    ...added(inner, baseline.inner).map((k) => `Object.prototype.${k}`),
    ...added(outerNow, baseline.outer).map((k) => `outer Object.prototype.${k}`),
    ...added(array, baseline.array).map((k) => `Array.prototype.${k}`),
  ];
  if (problems.length > 0) throw new Error(`prototype polluted: ${problems.join(', ')}`);
}
