import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';

/** OpenTelemetry tracing from the standard OTEL_* variables: off unless asked for, bad values named. */
const emptyDir = () => mkdtempSync(join(tmpdir(), 'stategate-tracing-config-'));
const load = (env: Record<string, string>) => loadConfig(env, emptyDir());
const tracing = (env: Record<string, string>) => load(env).tracing;

describe('tracing configuration', () => {
  it('is off without an exporter or endpoint, with OTEL_TRACES_EXPORTER=none and with OTEL_SDK_DISABLED', () => {
    expect(tracing({})).toBeNull();
    expect(tracing({ OTEL_SERVICE_NAME: 'x' })).toBeNull();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
  });

  it('is on with an endpoint: OTLP/HTTP protobuf to <endpoint>/v1/traces, always sampling new traces', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      exporter: 'otlp',
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
      serviceName: 'stategate',
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      batch: { scheduledDelayMs: 5000 },
    });
  });

  it('takes the traces endpoint as it is, and the signal-specific settings over the general ones', () => {
    const config = tracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=general,x-team=a%20b',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=traces',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config).toMatchObject({
      url: 'https://traces.example.com/custom',
      protocol: 'http/json',
      headers: { 'x-api-key': 'traces', 'x-team': 'a b' },
      timeoutMs: 2000,
      resourceAttributes: { 'deployment.environment': 'prod' },
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('reads the OTEL_* variables from .env too, like every other setting', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'OTEL_EXPORTER_OTLP_ENDPOINT=http://from-dotenv:4318\n');
    expect(loadConfig({}, dir).tracing?.url).toBe('http://from-dotenv:4318/v1/traces');
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => load(env)).toThrow(new RegExp(`^invalid configuration: ${variable}: `));
  });

  it('never repeats a header value (an API key) in an error', () => {
    expect(() => load({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'key=%E0%A4%A' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS: the value of "key" is not percent-encoded/,
    );
  });
});
