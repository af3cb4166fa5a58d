/**
 * The STATEGATE_* environment each deployment sample gives the server: the image's ENV with the sample's own
 * settings on top, as the container runtime merges them. Compose services come from compose-check's JSON (the
 * files as Compose itself loads them); a Kubernetes sample is its ConfigMaps and Secrets (envFrom) and the
 * containers' `env` values.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/config.js';

export type Env = Record<string, string>;

const stategateOnly = (env: Env): Env =>
  Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('STATEGATE_')));

/** Compose: one sample per service that sets any STATEGATE_* variable. */
export function composeSamples(composeJson: string, label: string): Map<string, Env> {
  if (composeJson.trim() === '')
    throw new Error('nothing to check: the Compose files did not load (see the compose check)');
  const { services } = JSON.parse(composeJson) as { services: Record<string, Env> };
  const samples = new Map<string, Env>();
  for (const [service, env] of Object.entries(services)) {
    if (Object.keys(stategateOnly(env)).length > 0) samples.set(`${label} ${service}`, stategateOnly(env));
  }
  return samples;
}

interface K8sObject {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: K8sContainer[] } } };
}
interface K8sContainer {
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

/** Kubernetes: each workload's container env, with the ConfigMaps and Secrets it names; missing ones are errors. */
export function kubernetesSamples(files: string[], label: string): Map<string, Env> {
  const objects = files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS() as K8sObject | null),
  );
  const sources = new Map<string, Env>();
  for (const object of objects) {
    if (object?.kind === 'ConfigMap') sources.set(`ConfigMap/${object.metadata?.name}`, object.data ?? {});
    if (object?.kind === 'Secret') {
      const decoded = Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]);
      sources.set(`Secret/${object.metadata?.name}`, { ...Object.fromEntries(decoded), ...object.stringData });
    }
  }
  const samples = new Map<string, Env>();
  for (const object of objects) {
    for (const [index, container] of (object?.spec?.template?.spec?.containers ?? []).entries()) {
      const env: Env = {};
      for (const from of container.envFrom ?? []) {
        const ref = from.configMapRef ? `ConfigMap/${from.configMapRef.name}` : `Secret/${from.secretRef?.name}`;
        const source = sources.get(ref);
        if (!source)
          throw new Error(`${label}: ${object?.kind}/${object?.metadata?.name} reads ${ref}, which is not there`);
        Object.assign(env, source);
      }
      for (const { name, value } of container.env ?? []) if (value !== undefined) env[name] = value;
      samples.set(`${label} ${object?.kind}/${object?.metadata?.name}[${index}]`, stategateOnly(env));
    }
  }
  return samples;
}

/**
 * Runs the server's own configuration loader on the image's ENV plus the sample's settings (in an empty
 * directory, so no .env file joins in). A sample must also leave protected mode (a container is reached on
 * 0.0.0.0, never on loopback) and must not open the metrics port beyond loopback without its token while
 * authentication is on. Returns the problem, or null.
 */
export function configProblem(imageEnv: Env, sampleEnv: Env): string | null {
  const emptyDir = mkdtempSync(join(tmpdir(), 'stategate-env-'));
  try {
    const config = loadConfig({ ...stategateOnly(imageEnv), ...sampleEnv }, emptyDir);
    if (config.protectedMode)
      return 'protected mode (no JWKS, auth not disabled): the container would listen on loopback only';
    if (config.host !== '0.0.0.0') return `listens on ${config.host}, not 0.0.0.0`;
    // Profiles and metrics are for operators: off loopback with authentication on, they need the token.
    const metrics = config.metrics;
    if (metrics && metrics.host !== '127.0.0.1' && !config.authDisabled && !metrics.token) {
      return `the metrics port listens on ${metrics.host} without STATEGATE_METRICS_TOKEN`;
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
