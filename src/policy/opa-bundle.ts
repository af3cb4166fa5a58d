import { list } from 'tar';
import type { JsonObject, JsonValue } from '../core/model.js';

/** What stategate takes from an OPA bundle: the compiled policy (a WebAssembly bundle's) and its data. */
export interface BundleContents {
  /** `/policy.wasm`; null in a Rego bundle, which must be compiled first. */
  wasm: Uint8Array | null;
  /** The bundle's data documents merged into one tree: `/a/b/data.json` is `data.a.b`. */
  data: JsonObject;
}

/** Reads an OPA bundle (.tar.gz). Throws on a corrupt archive or a data.json that is not a JSON object. */
export async function readBundle(file: string): Promise<BundleContents> {
  const files = new Map<string, Buffer>();
  await list({
    file,
    strict: true,
    onReadEntry: (entry) => {
      const path = entry.path.replace(/^(\.?\/)+/, '');
      if (entry.type !== 'File' || !(path === 'policy.wasm' || path === 'data.json' || path.endsWith('/data.json'))) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => files.set(path, Buffer.concat(chunks)));
    },
  });
  const data: JsonObject = {};
  // Shallower documents first, so a deeper one lands inside the tree they start.
  const dataFiles = [...files.keys()].filter((p) => p !== 'policy.wasm').sort((a, b) => depth(a) - depth(b));
  for (const path of dataFiles) {
    const parsed: unknown = JSON.parse(files.get(path)!.toString('utf8'));
    if (!isObject(parsed)) throw new Error(`${path} is not a JSON object`);
    const target = subtree(data, path.split('/').slice(0, -1));
    for (const [key, value] of Object.entries(parsed)) define(target, key, value);
  }
  return { wasm: files.get('policy.wasm') ?? null, data };
}

function depth(path: string): number {
  return path.split('/').length;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `segments` under `root`, created as needed. */
function subtree(root: JsonObject, segments: string[]): JsonObject {
  let node = root;
  for (const segment of segments) {
    const next: JsonValue | undefined = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (isObject(next)) {
      node = next;
    } else {
      const created: JsonObject = {};
      define(node, segment, created);
      node = created;
    }
  }
  return node;
}

/** Sets an own property; plain assignment of a `__proto__` key would replace the object's prototype instead. */
function define(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
