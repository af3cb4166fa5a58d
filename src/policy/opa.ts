import type { PolicySource } from '../config/config.js';
import type { Logger } from '../core/ports/logger.js';

/** One loaded Rego policy: `allow` for an input; undefined, erroring or too slow = false. */
export interface PolicyDecider {
  allow(input: unknown): Promise<boolean>;
  close(): Promise<void>;
}

export interface PolicyOptions {
  /** The `opa` CLI used to compile Rego to WebAssembly. */
  opaPath: string;
  /** An evaluation running longer than this is a deny. */
  timeoutMs: number;
  logger: Logger;
}

/** PLACEHOLDER (being written): compiles/loads the policy; a ConfigError naming `source.variable` when it cannot. */
export async function loadPolicy(_source: PolicySource, _options: PolicyOptions): Promise<PolicyDecider> {
  throw new Error('Rego policies are not built yet');
}
