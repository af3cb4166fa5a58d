/**
 * Stream filters: `*` matches any run of characters, `?` exactly one, everything else itself.
 * Compiled once per subscription into literal segments split at `*`; matching anchors the first and last
 * segment and finds the middle ones leftmost-first. Leftmost-first is always right for `*`-only
 * wildcards, so there is no backtracking: cost is O(text × pattern) at worst, never exponential as a
 * regular expression built from a hostile glob could be.
 */
export type GlobMatcher = (text: string) => boolean;

export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === '*' || pattern === '') return () => true;
  if (!pattern.includes('*')) return (text) => text.length === pattern.length && matchesAt(text, 0, pattern);
  const segments = pattern.split('*');
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  return (text) => {
    if (text.length < minLength) return false;
    if (!matchesAt(text, 0, first)) return false;
    const end = text.length - last.length;
    if (!matchesAt(text, end, last)) return false;
    let at = first.length;
    for (const segment of middle) {
      const found = indexOf(text, segment, at, end);
      if (found < 0) return false;
      at = found + segment.length;
    }
    return at <= end;
  };
}

/** True when `segment` (with `?` wildcards) matches `text` starting at `at`. */
function matchesAt(text: string, at: number, segment: string): boolean {
  if (at < 0 || at + segment.length > text.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost match of `segment` in text[from, end), or -1. */
function indexOf(text: string, segment: string, from: number, end: number): number {
  for (let at = from; at + segment.length <= end; at++) {
    if (matchesAt(text, at, segment)) return at;
  }
  return -1;
}
