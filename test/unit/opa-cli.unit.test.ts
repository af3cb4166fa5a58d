import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOpaCli } from '../../src/policy/opa-cli.js';

/** Where the server looks for the opa CLI: the configured path, PATH, then where `go install` puts it. */
describe('findOpaCli', () => {
  let dir: string;
  const exe = (path: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opa-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses a configured path as it is, when it is an executable file', () => {
    const opa = exe(join(dir, 'tools', 'my-opa'));
    expect(findOpaCli(opa, { PATH: '' })).toBe(opa);
  });

  it('answers null for a path that does not exist, is not executable, or is a directory', () => {
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'not a program');
    chmodSync(plain, 0o644);
    expect(findOpaCli('/nonexistent/opa', { PATH: '' })).toBeNull();
    expect(findOpaCli(plain, { PATH: '' })).toBeNull();
    expect(findOpaCli(dir, { PATH: '' })).toBeNull();
  });

  it('looks a bare name up on PATH first', () => {
    const first = exe(join(dir, 'bin1', 'opa'));
    exe(join(dir, 'gopath', 'bin', 'opa'));
    const env = { PATH: `${join(dir, 'empty')}:${join(dir, 'bin1')}`, GOPATH: join(dir, 'gopath'), HOME: dir };
    expect(findOpaCli('opa', env)).toBe(first);
  });

  it('falls back to $GOBIN, each $GOPATH/bin, then ~/go/bin (where install-tools.sh puts it)', () => {
    const home = join(dir, 'home');
    const fromHome = exe(join(home, 'go', 'bin', 'opa'));
    expect(findOpaCli('opa', { PATH: '/nonexistent', HOME: home })).toBe(fromHome);
    const fromGopath = exe(join(dir, 'gp2', 'bin', 'opa'));
    expect(findOpaCli('opa', { PATH: '', GOPATH: `${join(dir, 'gp1')}:${join(dir, 'gp2')}`, HOME: home })).toBe(
      fromGopath,
    );
    const fromGobin = exe(join(dir, 'gobin', 'opa'));
    expect(findOpaCli('opa', { PATH: '', GOBIN: join(dir, 'gobin'), GOPATH: join(dir, 'gp2'), HOME: home })).toBe(
      fromGobin,
    );
  });

  it('answers null when a bare name is nowhere', () => {
    expect(findOpaCli('opa', { PATH: join(dir, 'none'), HOME: join(dir, 'nohome') })).toBeNull();
  });
});
