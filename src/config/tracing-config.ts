/**
 * OpenTelemetry tracing, configured by the standard OTEL_* variables (not STATEGATE_*): whoever runs
 * stategate beside other services sets them once for all. Tracing is off unless an exporter is asked for
 * (`OTEL_TRACES_EXPORTER`) or an OTLP endpoint is given. Values the SDK would silently replace with its
 * defaults stop the server here instead, naming the variable.
 */
export interface TracingConfig {
  exporter: 'otlp' | 'console';
  /** OTLP over HTTP: protobuf (the OTLP default) or JSON. */
  protocol: 'http/protobuf' | 'http/json';
  /** The full URL spans are POSTed to (…/v1/traces). */
  url: string;
  /** Extra request headers (OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS), e.g. a collector's API key. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  serviceName: string;
  /** `key=value,…` resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  resourceAttributes: Readonly<Record<string, string>>;
  sampler: { name: SamplerName; ratio: number };
  batch: { scheduledDelayMs: number; maxQueueSize: number; maxExportBatchSize: number; exportTimeoutMs: number };
}

type Env = Readonly<Record<string, string | undefined>>;

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** A bad OTEL_* value; the message names the variable. */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
}

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** The tracing configuration, or null when tracing is off. */
export function loadTracingConfig(env: Env): TracingConfig | null {
  if (boolean(env, 'OTEL_SDK_DISABLED') === true) return null;
  const exporter = exporterOf(env);
  if (exporter === null) return null;
  return {
    exporter,
    protocol: protocolOf(env),
    url: urlOf(env),
    headers: {
      ...pairs(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...pairs(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    timeoutMs:
      integer(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 1) ?? integer(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 1) ?? 10_000,
    serviceName: nonEmpty(env, 'OTEL_SERVICE_NAME') ?? 'stategate',
    resourceAttributes: pairs(env, 'OTEL_RESOURCE_ATTRIBUTES'),
    sampler: samplerOf(env),
    batch: {
      scheduledDelayMs: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 0) ?? 5000,
      maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 1) ?? 2048,
      maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1) ?? 512,
      exportTimeoutMs: integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 1) ?? 30_000,
    },
  };
}

function exporterOf(env: Env): TracingConfig['exporter'] | null {
  const named = nonEmpty(env, 'OTEL_TRACES_EXPORTER');
  if (named === undefined) {
    const endpoint =
      nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    return endpoint === undefined ? null : 'otlp';
  }
  const value = named.toLowerCase();
  if (value === 'none') return null;
  if (value === 'otlp' || value === 'console') return value;
  throw new TracingConfigError(`OTEL_TRACES_EXPORTER: "${named}" is not supported (use otlp, console or none)`);
}

function protocolOf(env: Env): TracingConfig['protocol'] {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = nonEmpty(env, name) ?? 'http/protobuf';
  if (value === 'http/protobuf' || value === 'http/json') return value;
  throw new TracingConfigError(
    `${name}: "${value}" is not supported (use http/protobuf or http/json: OTLP over HTTP, port 4318 on a collector)`,
  );
}

function urlOf(env: Env): string {
  const signal = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (signal !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal);
  const base = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_ENDPOINT);
  // The base endpoint names the collector; each signal has its own path under it (OTLP spec).
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TracingConfigError(`${name}: "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracingConfigError(`${name}: must be an http:// or https:// URL`);
  }
  return value;
}

function samplerOf(env: Env): TracingConfig['sampler'] {
  const value = (nonEmpty(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(value)) {
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER: "${value}" is not one of ${SAMPLERS.join(', ')}`);
  }
  const arg = nonEmpty(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG: "${arg}" is not a ratio between 0 and 1`);
  }
  return { name: value as SamplerName, ratio };
}

/** `k=v,k2=v2` with percent-encoded values (the W3C baggage format the OTEL_* lists use). */
function pairs(env: Env, name: string): Record<string, string> {
  const value = nonEmpty(env, name);
  if (value === undefined) return {};
  const out: Record<string, string> = {};
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    const key = at > 0 ? item.slice(0, at).trim() : '';
    if (key === '') throw new TracingConfigError(`${name}: an entry is not key=value`);
    try {
      out[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      throw new TracingConfigError(`${name}: the value of "${key}" is not percent-encoded correctly`);
    }
  }
  return out;
}

function integer(env: Env, name: string, min: number): number | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min) {
    throw new TracingConfigError(`${name}: "${value}" is not a whole number ≥ ${min}`);
  }
  return number;
}

function boolean(env: Env, name: string): boolean | undefined {
  const value = nonEmpty(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new TracingConfigError(`${name}: "${value}" is not true or false`);
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
