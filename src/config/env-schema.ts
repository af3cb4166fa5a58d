import { z } from 'zod';

/** Booleans as the seed writes them: true/false (also 1/0, yes/no), case-insensitive. */
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** JWS algorithms with a public key: HS* (a shared secret) and `none` can never be accepted from a JWKS. */
export const ASYMMETRIC_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** A base64 value (the seed's policies), decoded to text; anything but base64 is refused. */
const base64Text = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/\r\n]+={0,2}$/, 'must be base64 (e.g. base64 -w0 policy.rego)')
  .transform((v) => Buffer.from(v, 'base64').toString('utf8'));

const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"name": "sqlite"}' });
    return z.NEVER;
  }
});

/** Providers in the seed's JSON form: `{"name": "...", "addr": "...", ...}`. */
const storageProvider = json.pipe(
  z.discriminatedUnion('name', [
    z.object({ name: z.literal('sqlite'), path: z.string().min(1).optional(), addr: z.string().min(1).optional() }),
    z.object({
      name: z.literal('postgres'),
      addr: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .refine((url) => URL.canParse(url), 'must be a postgres:// URL'),
      poolSize: z.number().int().min(1).max(1000).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
    }),
    z.object({
      name: z.literal('mongo'),
      addr: z
        .string()
        // Not URL.canParse: a replica set's host list (mongodb://a:1,b:2/db) is no WHATWG URL host.
        .regex(/^mongodb(\+srv)?:\/\/[^/?]+/, 'must be a mongodb:// URL'),
      database: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name (letters, digits, _ or -)')
        .optional(),
      poolSize: z.number().int().min(1).max(1000).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      /** Accept a standalone MongoDB server (see README: a server crash may erase an event a stream saw). */
      allowStandalone: z.boolean().optional(),
    }),
    z.object({
      name: z.literal('cassandra'),
      /** Contact points: `host:9042[,host2:9042]` (the port defaults to 9042). */
      addr: z
        .string()
        .trim()
        .regex(/^[^\s,/]+(,\s*[^\s,/]+)*$/, 'must be host:9042[,host2:9042]'),
      keyspace: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, 'must be a keyspace name (a letter, then letters, digits or _)')
        .optional(),
      localDataCenter: z.string().min(1).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      /** Used when the keyspace is created: `{"class": "NetworkTopologyStrategy", "dc1": 3}`. */
      replication: z
        .record(z.string(), z.union([z.string(), z.number()]))
        .refine((map) => 'class' in map, 'needs a "class" (SimpleStrategy or NetworkTopologyStrategy)')
        .optional(),
      // Weaker levels would let a read miss an acknowledged commit, or two data centres win the same version.
      consistency: z
        .string()
        .refine(
          (level) => ['LOCAL_QUORUM', 'QUORUM', 'ALL'].includes(level),
          'would weaken the guarantees (a read must see every acknowledged commit): use LOCAL_QUORUM, QUORUM or ALL',
        )
        .optional(),
      serialConsistency: z
        .string()
        .refine(
          (level) => level === 'SERIAL',
          'would weaken the guarantees (versions and log positions are decided across every data centre): use SERIAL',
        )
        .optional(),
    }),
    z.object({
      name: z.literal('mysql'),
      addr: z
        .string()
        .regex(/^mysql:\/\//, 'must be a mysql:// URL')
        .refine((url) => URL.canParse(url), 'must be a mysql:// URL'),
      poolSize: z.number().int().min(1).max(1000).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
    }),
  ]),
);

/** A networked provider's address: the seed writes Redis as `host:port`; a URL works too. */
const networked = (name: 'redis' | 'nats') =>
  z.object({
    name: z.literal(name),
    addr: z.string().trim().min(1),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
  });

/** STATEGATE_CACHE_PROVIDER: cache and mutex (and, by default, the bus). */
const cacheProvider = json.pipe(
  z.discriminatedUnion('name', [z.object({ name: z.literal('memory') }), networked('redis'), networked('nats')]),
);

/** STATEGATE_CHANNEL_PROVIDER: the bus between instances. */
const busProvider = json.pipe(
  z.discriminatedUnion('name', [z.object({ name: z.literal('memory') }), networked('redis'), networked('nats')]),
);

/**
 * Every environment variable stategate reads, with its default. Unknown STATEGATE_* variables are
 * reported too (a typo must not silently fall back to a default).
 */
export const envSchema = z.object({
  STATEGATE_PORT: int(0, 65535).default(8080),
  STATEGATE_HOST: z.string().trim().min(1).optional(),
  STATEGATE_DEBUG: bool.default(false),
  STATEGATE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  STATEGATE_AUTH_DISABLED: bool.default(false),
  STATEGATE_STORAGE_PROVIDER: storageProvider.default({ name: 'sqlite' }),
  STATEGATE_CACHE_PROVIDER: cacheProvider.default({ name: 'memory' }),
  STATEGATE_CHANNEL_PROVIDER: busProvider.optional(),
  STATEGATE_CORS_ALLOW_ORIGINS: list.default([]),
  STATEGATE_CORS_ALLOW_METHODS: list.default(['POST', 'GET', 'PUT', 'PATCH', 'DELETE']),
  STATEGATE_CORS_ALLOW_HEADERS: list.default(['authorization', 'content-type']),
  STATEGATE_STREAM_BUFFER: int(1, 1_000_000).default(1024),
  STATEGATE_SEARCH_LIMIT_CAP: int(1, 100_000).default(1000),
  STATEGATE_GLOB_LENGTH: int(1, 4096).default(256),
  STATEGATE_JSON_DEPTH: int(1, 256).default(32),
  STATEGATE_MUTEX_DEFAULT_TTL_MS: int(1, 86_400_000).default(60_000),
  STATEGATE_MUTEX_MAX_TTL_MS: int(1, 86_400_000).default(3_600_000),
  STATEGATE_LOG_POLL_MS: int(10, 3_600_000).default(1000),
  STATEGATE_SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  STATEGATE_SUBSCRIPTIONS_PER_CONNECTION: int(1, 10_000).default(100),
  STATEGATE_MAX_BODY_BYTES: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  STATEGATE_TLS_CERT_FILE: z.string().trim().min(1).optional(),
  STATEGATE_TLS_KEY_FILE: z.string().trim().min(1).optional(),

  // Authentication (JWT verified against a remote JWKS).
  STATEGATE_JWKS_URI: z
    .string()
    .trim()
    .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), 'must be an http(s):// URL')
    .optional(),
  STATEGATE_JWT_ISSUER: z.string().trim().min(1).optional(),
  STATEGATE_JWT_AUDIENCE: z.string().trim().min(1).optional(),
  STATEGATE_JWT_ALGORITHMS: list
    .pipe(z.array(z.enum(ASYMMETRIC_JWT_ALGORITHMS)).min(1, 'must name at least one algorithm'))
    .default([...ASYMMETRIC_JWT_ALGORITHMS]),
  STATEGATE_JWT_LEEWAY_S: int(0, 300).default(5),
  STATEGATE_JWT_MAX_BYTES: int(256, 65_536).default(8192),
  STATEGATE_JWKS_COOLDOWN_MS: int(0, 3_600_000).default(30_000),
  STATEGATE_JWKS_CACHE_MAX_AGE_MS: int(1000, 86_400_000).default(600_000),
  STATEGATE_JWKS_TIMEOUT_MS: int(100, 60_000).default(5000),

  // Authorization (OPA Rego policies, run as WebAssembly).
  STATEGATE_REQUEST_POLICY: base64Text.optional(),
  STATEGATE_RESPONSE_POLICY: base64Text.optional(),
  STATEGATE_REQUEST_POLICY_FILE: z.string().trim().min(1).optional(),
  STATEGATE_RESPONSE_POLICY_FILE: z.string().trim().min(1).optional(),
  STATEGATE_OPA_PATH: z.string().trim().min(1).optional(),
  STATEGATE_POLICY_TIMEOUT_MS: int(1, 60_000).default(250),

  // Browsers: no cross-origin access unless origins are listed.
  STATEGATE_CORS_ALLOW_CREDENTIALS: bool.default(false),
  STATEGATE_CORS_MAX_AGE_S: int(0, 86_400).default(600),

  // GraphQL request limits.
  STATEGATE_GRAPHQL_MAX_DEPTH: int(1, 1000).default(12),
  STATEGATE_GRAPHQL_MAX_ALIASES: int(0, 10_000).default(15),
  STATEGATE_GRAPHQL_MAX_TOKENS: int(10, 1_000_000).default(2000),
  STATEGATE_GRAPHQL_MAX_DIRECTIVES: int(0, 10_000).default(20),
  STATEGATE_GRAPHQL_MAX_COST: int(1, 10_000_000).default(5000),
  STATEGATE_GRAPHQL_INTROSPECTION: bool.optional(),

  // The web console at /console (a page on the public GraphQL API: every policy applies to it).
  STATEGATE_CONSOLE: bool.default(true),

  // Connections, rates and overload.
  STATEGATE_MAX_CONNECTIONS: int(1, 1_000_000).default(10_000),
  STATEGATE_MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(512),
  STATEGATE_WEBSOCKETS_PER_PRINCIPAL: int(1, 100_000).default(64),
  STATEGATE_STREAMS_PER_PRINCIPAL: int(1, 1_000_000).default(1000),
  STATEGATE_HTTP2_MAX_STREAMS: int(1, 10_000).default(100),
  STATEGATE_HTTP2_MAX_RESETS_PER_S: int(1, 100_000).default(200),
  STATEGATE_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  STATEGATE_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(60_000),
  STATEGATE_IDLE_TIMEOUT_MS: int(100, 3_600_000).default(60_000),
  STATEGATE_RATE_LIMIT_RPS: int(0, 10_000_000).default(2000),
  STATEGATE_RATE_LIMIT_BURST: int(1, 10_000_000).default(4000),
  STATEGATE_MAX_IN_FLIGHT: int(1, 1_000_000).default(2048),

  // Operations: the metrics and profiling port (default STATEGATE_PORT + 1; 0 = off).
  STATEGATE_METRICS_PORT: int(0, 65535).optional(),
  STATEGATE_METRICS_HOST: z.string().trim().min(1).optional(),
  STATEGATE_METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),

  // Event triggers: a JSON array of triggers (each validated in config.ts), private targets, parallelism.
  STATEGATE_TRIGGERS: json
    .pipe(z.array(z.record(z.string(), z.unknown()), { message: 'must be a JSON array of trigger objects' }))
    .default([]),
  STATEGATE_TRIGGERS_ALLOW_PRIVATE: bool.default(false),
  STATEGATE_TRIGGERS_CONCURRENCY: int(1, 1024).default(8),
  STATEGATE_TRIGGERS_LEASE_MS: int(1000, 600_000).default(10_000),
});
