import type { TriggerSpec } from './model.js';

/**
 * A spec as the storage providers keep it: one JSON text (or document) holding every field, so a field
 * added later needs no schema migration. Read back field by field, defaults for what an older build lacked.
 */
export function specToJson(spec: TriggerSpec): string {
  return JSON.stringify(spec);
}

export function specFromJson(text: string | TriggerSpec): TriggerSpec {
  const raw = (typeof text === 'string' ? JSON.parse(text) : text) as Partial<TriggerSpec>;
  return {
    name: String(raw.name),
    url: String(raw.url),
    domain: String(raw.domain ?? '*'),
    type: String(raw.type ?? '*'),
    key: String(raw.key ?? '*'),
    secret: String(raw.secret),
    headers: { ...(raw.headers ?? {}) },
    timeoutMs: Number(raw.timeoutMs ?? 10_000),
    maxAttempts: Number(raw.maxAttempts ?? 10),
  };
}
