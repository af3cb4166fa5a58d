import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Where the `opa` CLI is: `configured` itself when it is a path; a bare name (the default `opa`) is looked
 * up on PATH and then where `go install` puts binaries ($GOBIN, each $GOPATH/bin, ~/go/bin), because
 * scripts/install-tools.sh installs it there and that directory is often not on a service's PATH.
 * Null when no executable file is found.
 */
export function findOpaCli(configured: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (configured.includes('/')) return isExecutableFile(configured) ? configured : null;
  const goBins = [
    env.GOBIN,
    ...(env.GOPATH ?? '').split(delimiter).map((dir) => (dir ? join(dir, 'bin') : undefined)),
    join(env.HOME ?? homedir(), 'go', 'bin'),
  ];
  const dirs = [...(env.PATH ?? '').split(delimiter), ...goBins].filter((dir): dir is string => !!dir);
  for (const dir of dirs) {
    const candidate = join(dir, configured);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
