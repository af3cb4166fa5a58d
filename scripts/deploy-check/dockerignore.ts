/**
 * Whether a path is sent to the builder under a .dockerignore: the last matching line wins, `!` lets a path
 * back in, a pattern matches the path itself or a directory above it. Globs beyond `*` (anything at one
 * level) are not modelled; a pattern using them is reported rather than guessed at.
 */
import { readFileSync } from 'node:fs';

export interface IgnoreRule {
  pattern: string;
  allow: boolean;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const allow = line.startsWith('!');
      const pattern = (allow ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      if (/[?[\]]|\*\*/.test(pattern)) throw new Error(`.dockerignore pattern ${line}: not modelled by this check`);
      return { pattern, allow };
    });
}

const segmentMatches = (pattern: string, segment: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+^${}()|\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  ).test(segment);

function matches(pattern: string, path: string): boolean {
  const wanted = pattern.split('/');
  const parts = path.split('/');
  return wanted.length <= parts.length && wanted.every((segment, i) => segmentMatches(segment, parts[i]!));
}

export function isSentToBuilder(rules: IgnoreRule[], path: string): boolean {
  const normalized = path.replace(/^\.\/+/, '').replace(/\/+$/, '');
  let sent = true;
  for (const rule of rules) if (matches(rule.pattern, normalized)) sent = rule.allow;
  return sent;
}

export const readDockerignore = (path: string) => parseDockerignore(readFileSync(path, 'utf8'));
