import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from '../lib/context.js';

/**
 * The original stategate (Go, github.com/autom8ter/stategate) as a baseline row: built from the Go module
 * proxy when it can be. When it cannot, the note says exactly what the proxy answered.
 */
export async function original(ctx: Ctx) {
  ctx.log('original stategate: go install from the module proxy');
  const gopath = mkdtempSync(join(tmpdir(), 'stategate-original-'));
  const cmd = 'go install github.com/autom8ter/stategate/...@latest';
  const r = spawnSync('bash', ['-c', `GOFLAGS=-mod=mod GOPATH=${gopath} ${cmd}`], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const built = r.status === 0;
  return {
    built,
    command: `GOFLAGS=-mod=mod ${cmd}`,
    exitCode: r.status,
    output: output.slice(0, 2000),
    note: built
      ? `Built with \`GOFLAGS=-mod=mod ${cmd}\`; not yet wired as a baseline row.`
      : `Could not be built, so there is no baseline row for it: \`GOFLAGS=-mod=mod ${cmd}\` exited ${r.status} with:\n\n\`\`\`\n${output.slice(0, 1200)}\n\`\`\`\n\nThe module proxy does not serve the module, and the brief allows no other download (GOPROXY=direct would fetch from GitHub). The issue's own measurements of the original (Get on FerretDB 1.6k/s, cache Set+Get on Redis 1.2k/s, idle RSS 29 MB) are the only numbers for it; the targets that compare with it are "not measured" here.`,
  };
}
