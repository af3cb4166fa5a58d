import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError, type PolicySource } from '../config/config.js';
import type { JsonObject } from '../core/model.js';
import type { PolicyInput } from '../core/ports/access.js';
import type { Logger } from '../core/ports/logger.js';
import { readBundle } from './opa-bundle.js';
import { findOpaCli } from './opa-cli.js';
import { CompileError, compileRego, type RegoInput } from './opa-compile.js';
import { policyInputJson } from './opa-input.js';
import { Decision } from './opa-protocol.js';
import { PolicyThread } from './opa-thread.js';

/** Functions every policy `opa build -t wasm` makes exports (the OPA WebAssembly ABI). */
const OPA_EXPORTS = ['eval', 'entrypoints', 'builtins', 'opa_eval_ctx_new', 'opa_heap_ptr_get', 'opa_malloc'];

/** One loaded Rego policy: `allow` for an input; undefined, erroring or too slow = false. */
export interface PolicyDecider {
  allow(input: PolicyInput & { response?: unknown }): Promise<boolean>;
  close(): Promise<void>;
}

export interface PolicyOptions {
  /** The `opa` CLI used to compile Rego to WebAssembly. */
  opaPath: string;
  /** An evaluation running longer than this is a deny. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Compiles (Rego, with the opa CLI) or reads (.wasm, bundle) a policy and loads it into its worker thread.
 * Throws a ConfigError naming `source.variable` when there is no CLI, the policy does not compile, the
 * WebAssembly cannot be loaded, or it has no `stategate/authz/allow` entrypoint.
 */
export async function loadPolicy(source: PolicySource, options: PolicyOptions): Promise<PolicyDecider> {
  const { variable } = source;
  const logger = options.logger;
  const { wasm, data } = await policyWasm(source, options);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(new Uint8Array(wasm));
  } catch (err) {
    throw new ConfigError(`${variable}: not a WebAssembly policy: ${(err as Error).message}`);
  }
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!OPA_EXPORTS.every((name) => exports.has(name))) {
    throw new ConfigError(`${variable}: WebAssembly, but not an OPA policy (build it with opa build -t wasm)`);
  }
  const thread = await PolicyThread.start(module, data, {
    timeoutMs: options.timeoutMs,
    onIncident: (what, err) => logger.warn({ policy: variable, ...(err ? { err } : {}) }, what),
  }).catch((err: unknown) => {
    throw new ConfigError(`${variable}: the policy ${(err as Error).message}`);
  });
  logger.info({ policy: variable, kind: source.kind, timeoutMs: options.timeoutMs }, 'policy loaded');
  return {
    async allow(input) {
      const verdict = await thread.decide(policyInputJson(input));
      if (verdict.decision === Decision.allow) return true;
      if (verdict.decision === Decision.error) {
        logger.warn({ policy: variable, method: input.method, error: verdict.detail }, 'policy failed: denied');
      } else if (verdict.decision === Decision.notBoolean) {
        logger.warn({ policy: variable, method: input.method }, '`allow` is not a boolean: denied');
      }
      return false;
    },
    close: () => thread.close(),
  };
}

/** The policy's WebAssembly and data, compiling Rego first. */
async function policyWasm(
  source: PolicySource,
  options: PolicyOptions,
): Promise<{ wasm: Uint8Array; data: JsonObject }> {
  const { variable } = source;
  if (source.kind === 'wasm') {
    try {
      return { wasm: await readFile(source.file), data: {} };
    } catch (err) {
      throw new ConfigError(`${variable}: cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  let regoInput: RegoInput;
  if (source.kind === 'rego') {
    regoInput = { rego: source.rego, fileName: source.file ? basename(source.file) : 'policy.rego' };
  } else {
    const bundle = await readBundle(source.file).catch((err: unknown) => {
      throw new ConfigError(`${variable}: ${source.file} is not a readable OPA bundle: ${(err as Error).message}`);
    });
    // A WebAssembly bundle is used as it is; a Rego bundle is compiled like any Rego.
    if (bundle.wasm) return { wasm: bundle.wasm, data: bundle.data };
    regoInput = { bundleFile: source.file };
  }
  const cli = findOpaCli(options.opaPath);
  if (!cli) {
    throw new ConfigError(
      `${variable}: compiling Rego needs the opa CLI, and "${options.opaPath}" was not found ` +
        '(install it with scripts/install-tools.sh, or point STATEGATE_OPA_PATH at it)',
    );
  }
  try {
    const compiled = await compileRego(regoInput, cli);
    if (compiled.v0Compatible) {
      options.logger.warn(
        { policy: variable },
        'policy is Rego v0 (e.g. rules without `if`): compiled with --v0-compatible; migrate it to Rego v1',
      );
    }
    return compiled;
  } catch (err) {
    if (err instanceof CompileError) throw new ConfigError(`${variable}: does not compile: ${err.message}`);
    throw new ConfigError(`${variable}: cannot compile with ${cli}: ${(err as Error).message}`);
  }
}
