/**
 * kubeconform reads standalone JSON schemas (one file per kind, every definition inlined) from a URL or a
 * directory; its default location is on GitHub, which CI cannot reach. The PyPI package kubernetes-validate
 * ships the official schemas of each Kubernetes version, but as "local" files whose $refs point into one
 * shared `/api/_definitions.json`. This turns the kinds a set of manifests uses into standalone-strict files
 * (only the definitions each kind reaches), laid out as kubeconform's `-schema-location` template expects.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A kind's file points into the shared definitions; the definitions point at each other locally. */
const REF = '/api/_definitions.json#/$defs/';
const LOCAL_REF = '#/$defs/';

/** kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}`: deployment-apps-v1, configmap-v1. */
export function schemaFileName(kind: string, apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const groupPart = group ? `-${group.split('.')[0]}` : '';
  return `${kind.toLowerCase()}${groupPart}-${version}.json`;
}

export function kindsIn(files: string[]): { kind: string; apiVersion: string }[] {
  const seen = new Map<string, { kind: string; apiVersion: string }>();
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const value = doc.toJS() as { kind?: unknown; apiVersion?: unknown } | null;
      if (typeof value?.kind === 'string' && typeof value.apiVersion === 'string') {
        seen.set(`${value.apiVersion}/${value.kind}`, { kind: value.kind, apiVersion: value.apiVersion });
      }
    }
  }
  return [...seen.values()];
}

function refsOf(node: Json, found: Set<string>): void {
  if (Array.isArray(node)) for (const item of node) refsOf(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const prefix = [REF, LOCAL_REF].find((p) => value.startsWith(p));
        if (prefix) found.add(value.slice(prefix.length));
      } else refsOf(value, found);
    }
  }
}

const localRefs = (node: Json): Json => JSON.parse(JSON.stringify(node).replaceAll(`"${REF}`, '"#/$defs/'));

/**
 * Writes `<out>/v<version>-standalone-strict/<kind file>` for each kind; a kind the package has no schema for
 * is left out, so kubeconform reports it (never skips it: validate-deploy.sh runs it without
 * -ignore-missing-schemas).
 */
export function writeStandaloneSchemas(packageDir: string, version: string, out: string, files: string[]): string[] {
  const source = join(packageDir, `v${version}-local-strict`);
  const definitions = (
    JSON.parse(readFileSync(join(source, '_definitions.json'), 'utf8')) as { $defs: Record<string, Json> }
  ).$defs;
  const target = join(out, `v${version}-standalone-strict`);
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  for (const { kind, apiVersion } of kindsIn(files)) {
    const name = schemaFileName(kind, apiVersion);
    let schema: { [key: string]: Json };
    try {
      schema = JSON.parse(readFileSync(join(source, name), 'utf8'));
    } catch {
      continue;
    }
    const reached = new Set<string>();
    refsOf(schema, reached);
    for (const pending = [...reached]; pending.length > 0; ) {
      const next = new Set<string>();
      refsOf(definitions[pending.pop()!] ?? null, next);
      for (const ref of next) {
        if (reached.has(ref)) continue;
        reached.add(ref);
        pending.push(ref);
      }
    }
    const defs = Object.fromEntries([...reached].map((ref) => [ref, localRefs(definitions[ref] ?? null)]));
    // Without its $id (a kubernetes.io address) the inlined refs resolve within this file.
    const { $id: _id, ...standalone } = localRefs(schema) as { [key: string]: Json };
    writeFileSync(join(target, name), JSON.stringify({ ...standalone, $defs: defs }));
    written.push(name);
  }
  return written;
}
