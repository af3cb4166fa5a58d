import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BundleContents, readBundle } from './opa-bundle.js';
import { ENTRYPOINT } from './opa-protocol.js';

const run = promisify(execFile);

/** How long `opa build` may take; a compiler that hangs must not hang the start for ever. */
const COMPILE_TIMEOUT_MS = 120_000;

/** Rego text (with the file name compiler errors should name) or a Rego bundle (.tar.gz) to compile. */
export type RegoInput = { rego: string; fileName: string } | { bundleFile: string };

export interface CompiledRego extends BundleContents {
  wasm: Uint8Array;
  /** The policy only parsed as Rego v0 and was compiled with `--v0-compatible`. */
  v0Compatible: boolean;
}

/** The compiler refused the policy; `message` holds its first error lines, never the policy text. */
export class CompileError extends Error {
  override readonly name = 'CompileError';
}

/**
 * Compiles Rego to a WebAssembly bundle with `opa build -t wasm -e stategate/authz/allow` and reads its
 * policy.wasm and data. Rego v1 (OPA 1.x) first; a policy that only parses as v0 (rules without `if`) is
 * compiled with `--v0-compatible`, with a warning, so old policies keep working until they are migrated.
 */
export async function compileRego(input: RegoInput, opaCli: string): Promise<CompiledRego> {
  const dir = await mkdtemp(join(tmpdir(), 'stategate-opa-'));
  try {
    const sources = 'rego' in input ? [input.fileName] : ['-b', input.bundleFile];
    if ('rego' in input) await writeFile(join(dir, input.fileName), input.rego);
    const output = join(dir, 'compiled.tar.gz');
    const build = (extra: string[]) =>
      run(opaCli, ['build', '-t', 'wasm', '-e', ENTRYPOINT, '-o', output, ...extra, ...sources], {
        cwd: dir,
        timeout: COMPILE_TIMEOUT_MS,
        maxBuffer: 4 * 1024 * 1024,
      });
    let v0Compatible = false;
    try {
      await build([]);
    } catch (v1Failure) {
      if (!isParseError(v1Failure)) throw new CompileError(compilerMessage(v1Failure));
      // Report the v1 error if v0 does not parse it either: v1 is the language policies should be written in.
      await build(['--v0-compatible']).catch(() => {
        throw new CompileError(compilerMessage(v1Failure));
      });
      v0Compatible = true;
    }
    const compiled = await readBundle(output);
    if (!compiled.wasm) throw new CompileError('opa build wrote no policy.wasm');
    return { wasm: compiled.wasm, data: compiled.data, v0Compatible };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `opa build` printed: it writes its errors to stdout. */
function outputOf(err: unknown): string {
  const { stdout, stderr } = err as { stdout?: unknown; stderr?: unknown };
  return [stdout, stderr].filter((text): text is string => typeof text === 'string').join('\n');
}

function isParseError(err: unknown): boolean {
  return outputOf(err).includes('rego_parse_error');
}

/**
 * The compiler's first error lines. OPA follows each error with the offending source line and a caret,
 * indented; those are dropped, so a policy's text (and any secret in it) never reaches a log.
 */
function compilerMessage(err: unknown): string {
  const e = err as { code?: unknown; killed?: boolean; signal?: unknown; message?: string };
  if (e.killed || e.signal) return `opa build did not finish within ${COMPILE_TIMEOUT_MS / 1000} s`;
  if (typeof e.code === 'string') return `cannot run the opa CLI: ${e.code}`;
  const lines = outputOf(err)
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s/.test(line))
    // "error: load error: 1 error occurred during loading: policy.rego:4: …" says it all from "policy.rego".
    .map((line) => line.replace(/^error: (load error: )?(\d+ errors? occurred( during loading)?:\s*)?/, ''))
    .filter((line) => line !== '')
    .slice(0, 4);
  const text = lines.join('; ');
  if (text === '') return `opa build failed (exit code ${String(e.code)})`;
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
