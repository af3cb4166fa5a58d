import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import type { Limits } from '../core/limits.js';
import { envSchema, notYetSupported } from './env-schema.js';

export type StorageConfig =
  | { name: 'sqlite'; path: string }
  /** `url` carries `user`/`password` when the JSON form gave them separately. */
  | { name: 'postgres'; url: string; poolSize: number }
  /** MariaDB; `url` carries `user`/`password` as for postgres. */
  | { name: 'mysql'; url: string; poolSize: number }
  /** MongoDB or FerretDB; `url` carries `user`/`password` as for postgres; `database` overrides the URL's. */
  | { name: 'mongo'; url: string; database: string; poolSize: number; allowStandalone: boolean };
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
  cors: { origins: string[]; methods: string[]; headers: string[] };
  limits: Limits;
  subscriptionsPerConnection: number;
  /** The largest request body a transport reads, in bytes (REST answers 413 past it). */
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  /** PEM certificate and key; with them the port speaks TLS (HTTP/2 or HTTP/1.1 by ALPN). */
  tls: { cert: Buffer; key: Buffer } | null;
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
  }
}

/**
 * Reads the environment, with a `.env` file in the working directory underneath it (real environment
 * variables win), and validates it into a frozen Config. Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged = { ...readDotenv(cwd), ...definedOnly(env) };
  for (const [name, feature] of Object.entries(notYetSupported)) {
    if (merged[name]) {
      throw new ConfigError(`${name}: ${feature} is not available in this build yet; unset ${name} to start`);
    }
  }
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
  const protectedMode = !e.STATEGATE_AUTH_DISABLED;
  const storage = e.STATEGATE_STORAGE_PROVIDER;
  const mutexMax = e.STATEGATE_MUTEX_MAX_TTL_MS;
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
  };
  return deepFreeze(config);
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
