import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { isStategateError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { TriggerSpec } from '../core/triggers/model.js';
import { validateFrom, validateTrigger } from '../core/triggers/validate-trigger.js';
import { envSchema } from './env-schema.js';
import { loadTracingConfig, type TracingConfig, TracingConfigError } from './tracing-config.js';

export type StorageConfig =
  | { name: 'sqlite'; path: string }
  /** `url` carries `user`/`password` when the JSON form gave them separately. */
  | { name: 'postgres'; url: string; poolSize: number }
  /** MariaDB; `url` carries `user`/`password` as for postgres. */
  | { name: 'mysql'; url: string; poolSize: number }
  /** MongoDB or FerretDB; `url` carries `user`/`password` as for postgres; `database` overrides the URL's. */
  | { name: 'mongo'; url: string; database: string; poolSize: number; allowStandalone: boolean }
  /** Apache Cassandra: `addr` is the contact points (`host:9042[,host2:9042]`). */
  | {
      name: 'cassandra';
      addr: string;
      keyspace: string;
      localDataCenter: string;
      user?: string;
      password?: string;
      replication: Readonly<Record<string, string | number>>;
      consistency: string;
      serialConsistency: string;
    };
/** A networked provider: `url` is complete (scheme added to a seed-style `host:port`). */
export type NetworkedConfig = { url: string; user?: string; password?: string };
export type CacheConfig = { name: 'memory' } | ({ name: 'redis' | 'nats' } & NetworkedConfig);
/** The same providers serve as bus: a cache provider is also the default bus (STATEGATE_CHANNEL_PROVIDER). */
export type BusConfig = CacheConfig;

/** The server's whole configuration: complete, validated and frozen at start. */
export interface Config {
  port: number;
  /** The address to listen on; loopback in protected mode. */
  host: string;
  /** No JWKS and auth not explicitly disabled: loopback only (DESIGN.md §5). */
  protectedMode: boolean;
  authDisabled: boolean;
  logLevel: string;
  storage: StorageConfig;
  cache: CacheConfig;
  channel: BusConfig;
  limits: Limits;
  subscriptionsPerConnection: number;
  /** The largest request body a transport reads, in bytes (REST answers 413 past it). */
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  /** PEM certificate and key; with them the port speaks TLS (HTTP/2 or HTTP/1.1 by ALPN). */
  tls: { cert: Buffer; key: Buffer } | null;
  /** The files the TLS material came from (read again on SIGHUP), resolved against the working directory. */
  tlsFiles: { cert: string; key: string } | null;
  /** JWT authentication; null when no JWKS is configured (protected mode or auth disabled). */
  jwt: JwtConfig | null;
  /** Rego policies; null = the seed's default (`default allow = true`). */
  policies: { request: PolicySource | null; response: PolicySource | null; opaPath: string; timeoutMs: number };
  /** Cross-origin access: none unless `origins` lists some (`*` = any origin, never with credentials). */
  cors: { origins: string[]; methods: string[]; headers: string[]; credentials: boolean; maxAgeSeconds: number };
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    /** Schema introspection (and field suggestions): default on without auth, off with a JWKS. */
    introspection: boolean;
  };
  /** Connection, rate and overload limits of the port. */
  network: NetworkLimits;
  /** The metrics and profiling port; null when off. */
  metrics: MetricsConfig | null;
  /** The web console at /console (STATEGATE_CONSOLE, default on). */
  console: boolean;
  /** OpenTelemetry traces, from the standard OTEL_* variables; null when off. */
  tracing: TracingConfig | null;
  /** Event triggers: those STATEGATE_TRIGGERS declares and how every trigger is delivered. */
  triggers: TriggersConfig;
}

export interface TriggersConfig {
  /** Created or updated in storage at start (the cursor of an existing trigger is kept). */
  declared: { spec: TriggerSpec; from: 'now' | number }[];
  /** Targets on loopback, private, link-local and metadata addresses are refused unless true. */
  allowPrivate: boolean;
  /** Entities delivered in parallel per trigger. */
  concurrency: number;
  /** How long an instance's claim on a trigger lasts without renewal, ms (a dead instance's is taken over after it). */
  leaseMs: number;
}

export interface MetricsConfig {
  port: number;
  /** Loopback unless STATEGATE_METRICS_HOST says otherwise or authentication is disabled. */
  host: string;
  /** When set, the metrics port requires `Authorization: Bearer <token>`. */
  token: string | null;
}

/** How JWTs are verified (STATEGATE_JWKS_URI and friends). */
export interface JwtConfig {
  jwksUri: string;
  issuer?: string;
  audience?: string;
  /** Only these JWS algorithms are accepted (never HS* or none). */
  algorithms: string[];
  leewaySeconds: number;
  maxTokenBytes: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  jwksTimeoutMs: number;
}

/**
 * Where a policy comes from: Rego text (base64 variable or a .rego file), a compiled .wasm file, or an OPA
 * bundle (.tar.gz). `variable` names the configuration variable for start-up errors.
 */
export type PolicySource =
  | { kind: 'rego'; rego: string; variable: string; file?: string }
  | { kind: 'wasm' | 'bundle'; file: string; variable: string };

export interface NetworkLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  websocketsPerPrincipal: number;
  streamsPerPrincipal: number;
  http2MaxStreams: number;
  http2MaxResetsPerSecond: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** Requests per second per principal (JWT `sub`, else client IP); 0 = no rate limit. */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** Unary calls running at once; more are shed with RESOURCE_EXHAUSTED / 503. */
  maxInFlight: number;
}

/** A configuration value that stops the server; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_SQLITE_PATH = './data/stategate.db';
export const DEFAULT_POSTGRES_POOL_SIZE = 10;
export const DEFAULT_MYSQL_POOL_SIZE = 10;
export const DEFAULT_MONGO_POOL_SIZE = 10;
export const DEFAULT_MONGO_DATABASE = 'stategate';
export const DEFAULT_CASSANDRA_KEYSPACE = 'stategate';
export const DEFAULT_CASSANDRA_DATA_CENTER = 'datacenter1';
export const DEFAULT_CASSANDRA_REPLICATION = { class: 'SimpleStrategy', replication_factor: 1 };

/**
 * A mongodb:// address in parts. Not WHATWG URL: a replica set's host list (`mongodb://a:1,b:2/db`) is
 * not a valid URL host, but it is the usual MongoDB address.
 */
function parseMongoAddress(addr: string) {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:([^@/?:]*)(?::([^@/?]*))?@)?([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(addr);
  if (!match) throw new ConfigError(`STATEGATE_STORAGE_PROVIDER: addr is not a mongodb:// address`);
  const [, scheme, user, password, hosts, path, query] = match;
  return { scheme: scheme!, user, password, path: (path ?? '').slice(1), rest: `${hosts}${path ?? ''}${query ?? ''}` };
}

/** The storage config as it may be logged: a password in the URL is masked. */
export function storageForLog(storage: StorageConfig): StorageConfig {
  if (storage.name === 'mongo') {
    const address = parseMongoAddress(storage.url);
    if (address.password === undefined) return storage;
    return { ...storage, url: `${address.scheme}${address.user}:***@${address.rest}` };
  }
  if (storage.name === 'cassandra') return storage.password === undefined ? storage : { ...storage, password: '***' };
  if (storage.name !== 'postgres' && storage.name !== 'mysql') return storage;
  const url = new URL(storage.url);
  if (url.password) url.password = '***';
  return { ...storage, url: url.toString() };
}

type BusEnv = { name: 'memory' } | { name: 'redis' | 'nats'; addr: string; user?: string; password?: string };

/** Completes a networked provider's address: `host:port` (the seed's Redis form) gets its scheme. */
function networkedConfig(env: BusEnv, variable: string): BusConfig {
  if (env.name === 'memory') return { name: 'memory' };
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(env.addr) ? env.addr : `${env.name}://${env.addr}`;
  if (!URL.canParse(url))
    throw new ConfigError(`${variable}: addr "${env.addr}" is not host:port or a ${env.name}:// URL`);
  return {
    name: env.name,
    url,
    ...(env.user !== undefined ? { user: env.user } : {}),
    ...(env.password !== undefined ? { password: env.password } : {}),
  };
}

type StorageEnv = ReturnType<typeof envSchema.parse>['STATEGATE_STORAGE_PROVIDER'];

function storageConfig(storage: StorageEnv): StorageConfig {
  switch (storage.name) {
    case 'sqlite':
      return { name: 'sqlite', path: storage.path ?? storage.addr ?? DEFAULT_SQLITE_PATH };
    case 'postgres': {
      const url = new URL(storage.addr);
      if (storage.user !== undefined) url.username = encodeURIComponent(storage.user);
      if (storage.password !== undefined) url.password = encodeURIComponent(storage.password);
      return { name: 'postgres', url: url.toString(), poolSize: storage.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE };
    }
    case 'mysql': {
      const url = new URL(storage.addr);
      if (storage.user !== undefined) url.username = encodeURIComponent(storage.user);
      if (storage.password !== undefined) url.password = encodeURIComponent(storage.password);
      return { name: 'mysql', url: url.toString(), poolSize: storage.poolSize ?? DEFAULT_MYSQL_POOL_SIZE };
    }
    case 'mongo': {
      const address = parseMongoAddress(storage.addr);
      const user = storage.user !== undefined ? encodeURIComponent(storage.user) : address.user;
      const password = storage.password !== undefined ? encodeURIComponent(storage.password) : address.password;
      const userinfo = user === undefined ? '' : `${user}${password === undefined ? '' : `:${password}`}@`;
      // The URL's path names the database too (mongodb://host/db); the JSON field wins, then that, then ours.
      const database = storage.database ?? (decodeURIComponent(address.path) || DEFAULT_MONGO_DATABASE);
      const url = `${address.scheme}${userinfo}${address.rest}`;
      return {
        name: 'mongo',
        url,
        database,
        poolSize: storage.poolSize ?? DEFAULT_MONGO_POOL_SIZE,
        allowStandalone: storage.allowStandalone ?? false,
      };
    }
    case 'cassandra':
      return {
        name: 'cassandra',
        addr: storage.addr,
        keyspace: storage.keyspace ?? DEFAULT_CASSANDRA_KEYSPACE,
        localDataCenter: storage.localDataCenter ?? DEFAULT_CASSANDRA_DATA_CENTER,
        ...(storage.user !== undefined ? { user: storage.user } : {}),
        ...(storage.password !== undefined ? { password: storage.password } : {}),
        replication: storage.replication ?? DEFAULT_CASSANDRA_REPLICATION,
        consistency: storage.consistency ?? 'LOCAL_QUORUM',
        serialConsistency: storage.serialConsistency ?? 'SERIAL',
      };
  }
}

/**
 * Reads the environment, with a `.env` file in the working directory underneath it (real environment
 * variables win), and validates it into a frozen Config. Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged = { ...readDotenv(cwd), ...definedOnly(env) };
  const stategateVars = Object.fromEntries(Object.entries(merged).filter(([k]) => k.startsWith('STATEGATE_')));
  const parsed = envSchema.strict().safeParse(stategateVars);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown variable`;
      return `${issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const jwksUri = e.STATEGATE_JWKS_URI;
  if (e.STATEGATE_AUTH_DISABLED) {
    // The seed's switch turns off JWKS and policies alike; configuring both is a contradiction, not a choice.
    const conflicting = [
      'STATEGATE_JWKS_URI',
      'STATEGATE_REQUEST_POLICY',
      'STATEGATE_RESPONSE_POLICY',
      'STATEGATE_REQUEST_POLICY_FILE',
      'STATEGATE_RESPONSE_POLICY_FILE',
    ].filter((name) => stategateVars[name]);
    if (conflicting.length > 0) {
      throw new ConfigError(
        `${conflicting.join(', ')}: set while STATEGATE_AUTH_DISABLED=true turns authentication and policies off; unset one of them`,
      );
    }
  }
  const protectedMode = !e.STATEGATE_AUTH_DISABLED && jwksUri === undefined;
  if (e.STATEGATE_CORS_ALLOW_CREDENTIALS && e.STATEGATE_CORS_ALLOW_ORIGINS.includes('*')) {
    throw new ConfigError('STATEGATE_CORS_ALLOW_CREDENTIALS: cannot be true while STATEGATE_CORS_ALLOW_ORIGINS is *');
  }
  for (const origin of e.STATEGATE_CORS_ALLOW_ORIGINS) {
    if (origin !== '*' && !isOrigin(origin)) {
      throw new ConfigError(`STATEGATE_CORS_ALLOW_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
    }
  }
  const storage = e.STATEGATE_STORAGE_PROVIDER;
  const mutexMax = e.STATEGATE_MUTEX_MAX_TTL_MS;
  if (e.STATEGATE_HEADERS_TIMEOUT_MS > e.STATEGATE_REQUEST_TIMEOUT_MS) {
    // Node would silently cut the headers timeout down to the request timeout.
    throw new ConfigError('STATEGATE_HEADERS_TIMEOUT_MS: must not exceed STATEGATE_REQUEST_TIMEOUT_MS');
  }
  if (e.STATEGATE_MUTEX_DEFAULT_TTL_MS > mutexMax) {
    throw new ConfigError('STATEGATE_MUTEX_DEFAULT_TTL_MS: must not exceed STATEGATE_MUTEX_MAX_TTL_MS');
  }
  const config: Config = {
    port: e.STATEGATE_PORT,
    host: protectedMode ? '127.0.0.1' : (e.STATEGATE_HOST ?? '0.0.0.0'),
    protectedMode,
    authDisabled: e.STATEGATE_AUTH_DISABLED,
    logLevel: e.STATEGATE_LOG_LEVEL ?? (e.STATEGATE_DEBUG ? 'debug' : 'info'),
    storage: storageConfig(storage),
    cache: networkedConfig(e.STATEGATE_CACHE_PROVIDER, 'STATEGATE_CACHE_PROVIDER'),
    channel: networkedConfig(
      e.STATEGATE_CHANNEL_PROVIDER ?? e.STATEGATE_CACHE_PROVIDER,
      e.STATEGATE_CHANNEL_PROVIDER ? 'STATEGATE_CHANNEL_PROVIDER' : 'STATEGATE_CACHE_PROVIDER',
    ),
    cors: {
      origins: e.STATEGATE_CORS_ALLOW_ORIGINS,
      methods: e.STATEGATE_CORS_ALLOW_METHODS,
      headers: e.STATEGATE_CORS_ALLOW_HEADERS,
      credentials: e.STATEGATE_CORS_ALLOW_CREDENTIALS,
      maxAgeSeconds: e.STATEGATE_CORS_MAX_AGE_S,
    },
    limits: {
      streamBuffer: e.STATEGATE_STREAM_BUFFER,
      searchLimitCap: e.STATEGATE_SEARCH_LIMIT_CAP,
      globLength: e.STATEGATE_GLOB_LENGTH,
      jsonDepth: e.STATEGATE_JSON_DEPTH,
      mutexDefaultTtlMs: e.STATEGATE_MUTEX_DEFAULT_TTL_MS,
      mutexMaxTtlMs: mutexMax,
      logPollMs: e.STATEGATE_LOG_POLL_MS,
    },
    subscriptionsPerConnection: e.STATEGATE_SUBSCRIPTIONS_PER_CONNECTION,
    maxBodyBytes: e.STATEGATE_MAX_BODY_BYTES,
    shutdownTimeoutMs: e.STATEGATE_SHUTDOWN_TIMEOUT_MS,
    tls: readTls(e.STATEGATE_TLS_CERT_FILE, e.STATEGATE_TLS_KEY_FILE, cwd),
    tlsFiles:
      e.STATEGATE_TLS_CERT_FILE && e.STATEGATE_TLS_KEY_FILE
        ? { cert: resolve(cwd, e.STATEGATE_TLS_CERT_FILE), key: resolve(cwd, e.STATEGATE_TLS_KEY_FILE) }
        : null,
    jwt:
      jwksUri === undefined
        ? null
        : {
            jwksUri,
            ...(e.STATEGATE_JWT_ISSUER !== undefined ? { issuer: e.STATEGATE_JWT_ISSUER } : {}),
            ...(e.STATEGATE_JWT_AUDIENCE !== undefined ? { audience: e.STATEGATE_JWT_AUDIENCE } : {}),
            algorithms: e.STATEGATE_JWT_ALGORITHMS,
            leewaySeconds: e.STATEGATE_JWT_LEEWAY_S,
            maxTokenBytes: e.STATEGATE_JWT_MAX_BYTES,
            jwksCooldownMs: e.STATEGATE_JWKS_COOLDOWN_MS,
            jwksCacheMaxAgeMs: e.STATEGATE_JWKS_CACHE_MAX_AGE_MS,
            jwksTimeoutMs: e.STATEGATE_JWKS_TIMEOUT_MS,
          },
    policies: {
      request: policySource('REQUEST', e.STATEGATE_REQUEST_POLICY, e.STATEGATE_REQUEST_POLICY_FILE, cwd),
      response: policySource('RESPONSE', e.STATEGATE_RESPONSE_POLICY, e.STATEGATE_RESPONSE_POLICY_FILE, cwd),
      opaPath: e.STATEGATE_OPA_PATH ?? 'opa',
      timeoutMs: e.STATEGATE_POLICY_TIMEOUT_MS,
    },
    graphql: {
      maxDepth: e.STATEGATE_GRAPHQL_MAX_DEPTH,
      maxAliases: e.STATEGATE_GRAPHQL_MAX_ALIASES,
      maxTokens: e.STATEGATE_GRAPHQL_MAX_TOKENS,
      maxDirectives: e.STATEGATE_GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.STATEGATE_GRAPHQL_MAX_COST,
      introspection: e.STATEGATE_GRAPHQL_INTROSPECTION ?? jwksUri === undefined,
    },
    network: {
      maxConnections: e.STATEGATE_MAX_CONNECTIONS,
      maxConnectionsPerIp: e.STATEGATE_MAX_CONNECTIONS_PER_IP,
      websocketsPerPrincipal: e.STATEGATE_WEBSOCKETS_PER_PRINCIPAL,
      streamsPerPrincipal: e.STATEGATE_STREAMS_PER_PRINCIPAL,
      http2MaxStreams: e.STATEGATE_HTTP2_MAX_STREAMS,
      http2MaxResetsPerSecond: e.STATEGATE_HTTP2_MAX_RESETS_PER_S,
      headersTimeoutMs: e.STATEGATE_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.STATEGATE_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.STATEGATE_IDLE_TIMEOUT_MS,
      rateLimitRps: e.STATEGATE_RATE_LIMIT_RPS,
      rateLimitBurst: e.STATEGATE_RATE_LIMIT_BURST,
      maxInFlight: e.STATEGATE_MAX_IN_FLIGHT,
    },
    metrics: metricsConfig(e, protectedMode ? '127.0.0.1' : (e.STATEGATE_HOST ?? '0.0.0.0')),
    console: e.STATEGATE_CONSOLE,
    tracing: tracingConfig(merged),
    triggers: {
      declared: declaredTriggers(e.STATEGATE_TRIGGERS, e.STATEGATE_GLOB_LENGTH),
      allowPrivate: e.STATEGATE_TRIGGERS_ALLOW_PRIVATE,
      concurrency: e.STATEGATE_TRIGGERS_CONCURRENCY,
      leaseMs: e.STATEGATE_TRIGGERS_LEASE_MS,
    },
  };
  return deepFreeze(config);
}

/** STATEGATE_TRIGGERS: each trigger validated as createTrigger validates it; names must be unique. */
function declaredTriggers(items: Record<string, unknown>[], globLength: number): TriggersConfig['declared'] {
  const seen = new Set<string>();
  return items.map((item, index) => {
    try {
      const spec = validateTrigger(item as never, { globLength });
      if (seen.has(spec.name)) throw new ConfigError(`trigger "${spec.name}" is declared twice`);
      seen.add(spec.name);
      return { spec, from: validateFrom(item.from) };
    } catch (err) {
      const message = isStategateError(err) || err instanceof ConfigError ? err.message : String(err);
      throw new ConfigError(`STATEGATE_TRIGGERS: [${index}] ${message}`);
    }
  });
}

function tracingConfig(env: Readonly<Record<string, string | undefined>>): TracingConfig | null {
  try {
    return loadTracingConfig(env);
  } catch (err) {
    if (err instanceof TracingConfigError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
}

/**
 * The metrics port: STATEGATE_METRICS_PORT, else the API port + 1 (off when the API port is 0, an
 * ephemeral port with no fixed neighbour). It listens on loopback whenever authentication is on, unless
 * STATEGATE_METRICS_HOST names another address: metrics and profiles are for operators, not API clients.
 */
function metricsConfig(e: ReturnType<typeof envSchema.parse>, apiHost: string): MetricsConfig | null {
  const port = e.STATEGATE_METRICS_PORT ?? (e.STATEGATE_PORT === 0 ? 0 : e.STATEGATE_PORT + 1);
  if (port === 0) return null;
  if (port > 65535) throw new ConfigError('STATEGATE_METRICS_PORT: STATEGATE_PORT + 1 is no port; set it explicitly');
  if (port === e.STATEGATE_PORT) throw new ConfigError('STATEGATE_METRICS_PORT: must differ from STATEGATE_PORT');
  const host = e.STATEGATE_METRICS_HOST ?? (e.STATEGATE_AUTH_DISABLED ? apiHost : '127.0.0.1');
  return { port, host, token: e.STATEGATE_METRICS_TOKEN ?? null };
}

/** An origin as browsers send it: scheme://host[:port], nothing after. `null` is never an allowed origin. */
function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return /^https?:$/.test(url.protocol) && url.origin === value;
}

/** A policy from its base64 variable or its file (.rego, .wasm, .tar.gz bundle); both at once is an error. */
function policySource(
  which: 'REQUEST' | 'RESPONSE',
  rego: string | undefined,
  file: string | undefined,
  cwd: string,
): PolicySource | null {
  const variable = `STATEGATE_${which}_POLICY`;
  const fileVariable = `${variable}_FILE`;
  if (rego !== undefined && file !== undefined) {
    throw new ConfigError(`${variable}, ${fileVariable}: set only one of them`);
  }
  if (rego !== undefined) {
    if (rego.trim() === '') throw new ConfigError(`${variable}: decodes to an empty policy`);
    return { kind: 'rego', rego, variable };
  }
  if (file === undefined) return null;
  const path = resolve(cwd, file);
  if (/\.rego$/i.test(path)) {
    try {
      return { kind: 'rego', rego: readFileSync(path, 'utf8'), variable: fileVariable, file: path };
    } catch (err) {
      throw new ConfigError(
        `${fileVariable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  if (!existsSync(path)) throw new ConfigError(`${fileVariable}: cannot read ${file}: ENOENT`);
  if (/\.wasm$/i.test(path)) return { kind: 'wasm', file: path, variable: fileVariable };
  if (/\.(tar\.gz|tgz)$/i.test(path)) return { kind: 'bundle', file: path, variable: fileVariable };
  throw new ConfigError(`${fileVariable}: ${file} is not a .rego, .wasm or OPA bundle (.tar.gz) file`);
}

function readTls(certFile: string | undefined, keyFile: string | undefined, cwd: string) {
  if (!certFile && !keyFile) return null;
  if (!certFile) throw new ConfigError('STATEGATE_TLS_CERT_FILE: required when STATEGATE_TLS_KEY_FILE is set');
  if (!keyFile) throw new ConfigError('STATEGATE_TLS_KEY_FILE: required when STATEGATE_TLS_CERT_FILE is set');
  const read = (name: string, file: string) => {
    try {
      return readFileSync(resolve(cwd, file));
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return { cert: read('STATEGATE_TLS_CERT_FILE', certFile), key: read('STATEGATE_TLS_KEY_FILE', keyFile) };
}

function readDotenv(cwd: string): Record<string, string> {
  const file = resolve(cwd, '.env');
  return existsSync(file) ? parseDotenv(readFileSync(file)) : {};
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function deepFreeze<T>(value: T): T {
  // Buffers (TLS material) cannot be frozen; they are never handed out for writing.
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
