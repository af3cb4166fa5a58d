import { readFileSync } from 'node:fs';

/** This server's version, from package.json (src/ and dist/ are both one level below it). */
export const STATEGATE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
