import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runUntilExit } from '../support/process.js';

/**
 * A sqlite path the server cannot write stops `node dist/main.js` with one line naming the variable and
 * the path — exit code 2, no stack trace — instead of a crash or a hang (Node's recursive mkdir never
 * returns for a directory under /proc).
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-badpath-'));
  writeFileSync(join(dir, 'a-file'), 'not a directory');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it.each([
  ['a missing directory under /proc', () => '/proc/nope/x.db'],
  ['a directory that is a device', () => '/dev/null/x.db'],
  ['a parent that is a regular file', () => join(dir, 'a-file', 'sub', 'x.db')],
])(
  '%s',
  async (_case, pathOf) => {
    const path = pathOf();
    const { code, stderr } = await runUntilExit({
      STATEGATE_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path }),
    });
    expect(code).toBe(2);
    expect(stderr).toContain('STATEGATE_STORAGE_PROVIDER');
    expect(stderr).toContain(path);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  },
  20_000,
);
