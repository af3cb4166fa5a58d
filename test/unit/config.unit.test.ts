import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, storageForLog } from '../../src/config/config.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'stategate-config-'));

describe('loadConfig', () => {
  it('has complete, frozen defaults: port 8080, sqlite, memory, protected mode', () => {
    const config = loadConfig({}, emptyDir());
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      protectedMode: true,
      authDisabled: false,
      logLevel: 'info',
      storage: { name: 'sqlite', path: './data/stategate.db' },
      cache: { name: 'memory' },
      channel: { name: 'memory' },
      // No cross-origin access at all unless origins are listed.
      cors: { origins: [], credentials: false },
      limits: { streamBuffer: 1024, searchLimitCap: 1000, mutexDefaultTtlMs: 60_000 },
      maxBodyBytes: 4 * 1024 * 1024,
      jwt: null,
      policies: { request: null, response: null, opaPath: 'opa', timeoutMs: 250 },
      graphql: { introspection: true },
      network: { websocketsPerPrincipal: 64, rateLimitRps: 2000 },
      console: true,
    });
    expect(loadConfig({ STATEGATE_CONSOLE: 'false' }, emptyDir()).console).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(Object.isFrozen(config.cors.origins)).toBe(true);
  });

  describe('authentication', () => {
    it('protected mode (loopback only) without a JWKS and without STATEGATE_AUTH_DISABLED, even asked for 0.0.0.0', () => {
      const config = loadConfig({ STATEGATE_HOST: '0.0.0.0' }, emptyDir());
      expect(config).toMatchObject({ protectedMode: true, host: '127.0.0.1', authDisabled: false, jwt: null });
    });

    it('STATEGATE_AUTH_DISABLED=true leaves protected mode: no JWT, any address', () => {
      const config = loadConfig({ STATEGATE_AUTH_DISABLED: 'true', STATEGATE_HOST: '::' }, emptyDir());
      expect(config).toMatchObject({ protectedMode: false, host: '::', authDisabled: true, jwt: null });
    });

    it('STATEGATE_JWKS_URI turns JWT authentication on with safe defaults; introspection goes off', () => {
      const config = loadConfig({ STATEGATE_JWKS_URI: 'https://idp.example/.well-known/jwks.json' }, emptyDir());
      expect(config).toMatchObject({ protectedMode: false, host: '0.0.0.0', authDisabled: false });
      expect(config.graphql.introspection).toBe(false);
      expect(config.jwt).toEqual({
        jwksUri: 'https://idp.example/.well-known/jwks.json',
        algorithms: [
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
        ],
        leewaySeconds: 5,
        maxTokenBytes: 8192,
        jwksCooldownMs: 30_000,
        jwksCacheMaxAgeMs: 600_000,
        jwksTimeoutMs: 5000,
      });
      expect(Object.isFrozen(config.jwt?.algorithms)).toBe(true);
    });

    it('reads every JWT variable', () => {
      const config = loadConfig(
        {
          STATEGATE_JWKS_URI: 'http://127.0.0.1:9999/jwks',
          STATEGATE_JWT_ISSUER: 'https://idp.example/',
          STATEGATE_JWT_AUDIENCE: 'stategate',
          STATEGATE_JWT_ALGORITHMS: 'ES256, EdDSA',
          STATEGATE_JWT_LEEWAY_S: '0',
          STATEGATE_JWT_MAX_BYTES: '4096',
          STATEGATE_JWKS_COOLDOWN_MS: '1000',
          STATEGATE_JWKS_CACHE_MAX_AGE_MS: '60000',
          STATEGATE_JWKS_TIMEOUT_MS: '2000',
          STATEGATE_GRAPHQL_INTROSPECTION: 'true',
        },
        emptyDir(),
      );
      expect(config.jwt).toEqual({
        jwksUri: 'http://127.0.0.1:9999/jwks',
        issuer: 'https://idp.example/',
        audience: 'stategate',
        algorithms: ['ES256', 'EdDSA'],
        leewaySeconds: 0,
        maxTokenBytes: 4096,
        jwksCooldownMs: 1000,
        jwksCacheMaxAgeMs: 60_000,
        jwksTimeoutMs: 2000,
      });
      expect(config.graphql.introspection).toBe(true);
    });

    it('refuses a JWKS together with STATEGATE_AUTH_DISABLED=true, naming both', () => {
      const env = { STATEGATE_AUTH_DISABLED: 'true', STATEGATE_JWKS_URI: 'https://idp.example/jwks' };
      expect(() => loadConfig(env, emptyDir())).toThrow(/STATEGATE_JWKS_URI: set while STATEGATE_AUTH_DISABLED=true/);
    });
  });

  describe('policies', () => {
    const rego = 'package stategate.authz\ndefault allow = true\n';
    it('reads base64 Rego from STATEGATE_REQUEST_POLICY / STATEGATE_RESPONSE_POLICY', () => {
      const b64 = Buffer.from(rego).toString('base64');
      const config = loadConfig(
        { STATEGATE_REQUEST_POLICY: b64, STATEGATE_RESPONSE_POLICY: b64, STATEGATE_OPA_PATH: '/opt/opa' },
        emptyDir(),
      );
      expect(config.policies).toEqual({
        request: { kind: 'rego', rego, variable: 'STATEGATE_REQUEST_POLICY' },
        response: { kind: 'rego', rego, variable: 'STATEGATE_RESPONSE_POLICY' },
        opaPath: '/opt/opa',
        timeoutMs: 250,
      });
    });

    it('reads .rego, .wasm and bundle files by their extension, resolved against the working directory', () => {
      const dir = emptyDir();
      writeFileSync(join(dir, 'p.rego'), rego);
      writeFileSync(join(dir, 'p.wasm'), 'wasm');
      writeFileSync(join(dir, 'b.tar.gz'), 'tar');
      const files = (request: string, response: string) =>
        loadConfig({ STATEGATE_REQUEST_POLICY_FILE: request, STATEGATE_RESPONSE_POLICY_FILE: response }, dir).policies;
      expect(files('p.rego', 'p.wasm')).toMatchObject({
        request: { kind: 'rego', rego, variable: 'STATEGATE_REQUEST_POLICY_FILE', file: join(dir, 'p.rego') },
        response: { kind: 'wasm', file: join(dir, 'p.wasm'), variable: 'STATEGATE_RESPONSE_POLICY_FILE' },
      });
      expect(files('b.tar.gz', 'p.rego').request).toEqual({
        kind: 'bundle',
        file: join(dir, 'b.tar.gz'),
        variable: 'STATEGATE_REQUEST_POLICY_FILE',
      });
    });
  });

  describe('CORS', () => {
    it('reads origins, methods, headers, credentials and max age', () => {
      const config = loadConfig(
        {
          STATEGATE_AUTH_DISABLED: 'true',
          STATEGATE_CORS_ALLOW_ORIGINS: 'https://app.example.com,http://localhost:3000',
          STATEGATE_CORS_ALLOW_METHODS: 'GET, POST',
          STATEGATE_CORS_ALLOW_HEADERS: 'authorization',
          STATEGATE_CORS_ALLOW_CREDENTIALS: 'true',
          STATEGATE_CORS_MAX_AGE_S: '60',
        },
        emptyDir(),
      );
      expect(config.cors).toEqual({
        origins: ['https://app.example.com', 'http://localhost:3000'],
        methods: ['GET', 'POST'],
        headers: ['authorization'],
        credentials: true,
        maxAgeSeconds: 60,
      });
    });

    it('takes * for any origin (without credentials)', () => {
      expect(loadConfig({ STATEGATE_CORS_ALLOW_ORIGINS: '*' }, emptyDir()).cors.origins).toEqual(['*']);
    });
  });

  it('reads the seed variables', () => {
    const config = loadConfig(
      {
        STATEGATE_PORT: '9000',
        STATEGATE_DEBUG: 'true',
        STATEGATE_AUTH_DISABLED: 'true',
        STATEGATE_STORAGE_PROVIDER: '{"name": "sqlite", "addr": "/tmp/x.db"}',
        STATEGATE_CACHE_PROVIDER: '{"name": "memory"}',
        STATEGATE_CORS_ALLOW_ORIGINS: 'https://a.example, https://b.example',
        PATH: '/usr/bin',
      },
      emptyDir(),
    );
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      protectedMode: false,
      logLevel: 'debug',
      storage: { path: '/tmp/x.db' },
      cors: { origins: ['https://a.example', 'https://b.example'] },
    });
  });

  it('reads the postgres storage provider: addr, poolSize, and user/password over the URL', () => {
    const env = (json: object) => ({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(json) });
    expect(loadConfig(env({ name: 'postgres', addr: 'postgres://u:p@db:5432/sg' }), emptyDir()).storage).toEqual({
      name: 'postgres',
      url: 'postgres://u:p@db:5432/sg',
      poolSize: 10,
    });
    const config = loadConfig(
      env({ name: 'postgres', addr: 'postgres://db/sg', poolSize: 3, user: 'app', password: 'p@ss/word' }),
      emptyDir(),
    );
    expect(config.storage).toEqual({ name: 'postgres', url: 'postgres://app:p%40ss%2Fword@db/sg', poolSize: 3 });
    const parsed = new URL((config.storage as { url: string }).url);
    expect(decodeURIComponent(parsed.password)).toBe('p@ss/word');
    expect(storageForLog(config.storage)).toEqual({ name: 'postgres', url: 'postgres://app:***@db/sg', poolSize: 3 });
  });

  it('reads the mysql storage provider: addr, poolSize, and user/password over the URL; logs it masked', () => {
    const env = (json: object) => ({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(json) });
    expect(loadConfig(env({ name: 'mysql', addr: 'mysql://u:p@db:3306/sg' }), emptyDir()).storage).toEqual({
      name: 'mysql',
      url: 'mysql://u:p@db:3306/sg',
      poolSize: 10,
    });
    const config = loadConfig(
      env({ name: 'mysql', addr: 'mysql://db/sg', poolSize: 4, user: 'app', password: 'p@ss/word' }),
      emptyDir(),
    );
    expect(config.storage).toEqual({ name: 'mysql', url: 'mysql://app:p%40ss%2Fword@db/sg', poolSize: 4 });
    const parsed = new URL((config.storage as { url: string }).url);
    expect(decodeURIComponent(parsed.password)).toBe('p@ss/word');
    expect(storageForLog(config.storage)).toEqual({ name: 'mysql', url: 'mysql://app:***@db/sg', poolSize: 4 });
  });

  it('reads the mongo storage provider: addr, database, poolSize, and user/password over the URL; logs it masked', () => {
    const env = (json: object) => ({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(json) });
    expect(loadConfig(env({ name: 'mongo', addr: 'mongodb://u:p@db:27017/app' }), emptyDir()).storage).toEqual({
      name: 'mongo',
      url: 'mongodb://u:p@db:27017/app',
      database: 'app',
      poolSize: 10,
      allowStandalone: false,
    });
    expect(loadConfig(env({ name: 'mongo', addr: 'mongodb://db:27017' }), emptyDir()).storage).toMatchObject({
      database: 'stategate',
    });
    const config = loadConfig(
      env({
        name: 'mongo',
        addr: 'mongodb://db1,db2/ignored?replicaSet=rs0',
        database: 'sg',
        poolSize: 5,
        user: 'app',
        password: 'p@ss/word',
        allowStandalone: true,
      }),
      emptyDir(),
    );
    expect(config.storage).toEqual({
      name: 'mongo',
      url: 'mongodb://app:p%40ss%2Fword@db1,db2/ignored?replicaSet=rs0',
      database: 'sg',
      poolSize: 5,
      allowStandalone: true,
    });
    const logged = storageForLog(config.storage);
    expect(logged).toEqual({ ...config.storage, url: 'mongodb://app:***@db1,db2/ignored?replicaSet=rs0' });
    expect(JSON.stringify(logged)).not.toContain('word');
    // A replica set's host list with ports is no WHATWG URL, but it is the usual MongoDB address.
    const replicaSet = loadConfig(
      env({ name: 'mongo', addr: 'mongodb://u:s3cret@a:27017,b:27018/sg?replicaSet=rs0', password: 'n3w' }),
      emptyDir(),
    ).storage;
    expect(replicaSet).toEqual({
      name: 'mongo',
      url: 'mongodb://u:n3w@a:27017,b:27018/sg?replicaSet=rs0',
      database: 'sg',
      poolSize: 10,
      allowStandalone: false,
    });
    expect(storageForLog(replicaSet)).toMatchObject({ url: 'mongodb://u:***@a:27017,b:27018/sg?replicaSet=rs0' });
  });

  it('reads TLS material when both files are given', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const config = loadConfig({ STATEGATE_TLS_CERT_FILE: 'cert.pem', STATEGATE_TLS_KEY_FILE: 'key.pem' }, dir);
    expect(config.tls?.cert.toString()).toBe('CERT');
    expect(config.tls?.key.toString()).toBe('KEY');
    expect(loadConfig({}, dir).tls).toBeNull();
  });

  it('reads redis and nats providers in the seed form, host:port or URL', () => {
    const config = loadConfig(
      {
        STATEGATE_CACHE_PROVIDER: '{"name": "redis", "addr": "localhost:6379", "user": "u", "password": "p"}',
        STATEGATE_CHANNEL_PROVIDER: '{"name": "nats", "addr": "nats://127.0.0.1:4222"}',
      },
      emptyDir(),
    );
    expect(config.cache).toEqual({ name: 'redis', url: 'redis://localhost:6379', user: 'u', password: 'p' });
    expect(config.channel).toEqual({ name: 'nats', url: 'nats://127.0.0.1:4222' });
    const defaulted = loadConfig({ STATEGATE_CACHE_PROVIDER: '{"name": "redis", "addr": "redis://r:1"}' }, emptyDir());
    expect(defaulted.channel).toEqual({ name: 'redis', url: 'redis://r:1' });
  });

  it('reads nats as cache and mutex, which also makes it the bus unless the channel provider says otherwise', () => {
    const nats = '{"name": "nats", "addr": "127.0.0.1:4222", "user": "u", "password": "p"}';
    const config = loadConfig({ STATEGATE_CACHE_PROVIDER: nats }, emptyDir());
    const expected = { name: 'nats', url: 'nats://127.0.0.1:4222', user: 'u', password: 'p' };
    expect(config.cache).toEqual(expected);
    expect(config.channel).toEqual(expected);
    const overridden = loadConfig(
      { STATEGATE_CACHE_PROVIDER: nats, STATEGATE_CHANNEL_PROVIDER: '{"name": "memory"}' },
      emptyDir(),
    );
    expect(overridden.cache).toEqual(expected);
    expect(overridden.channel).toEqual({ name: 'memory' });
    const asUrl = loadConfig({ STATEGATE_CACHE_PROVIDER: '{"name": "nats", "addr": "nats://a:4222"}' }, emptyDir());
    expect(asUrl.cache).toEqual({ name: 'nats', url: 'nats://a:4222' });
  });

  it('reads .env underneath the real environment', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'STATEGATE_PORT=7000\nSTATEGATE_STREAM_BUFFER=10\n');
    expect(loadConfig({ STATEGATE_PORT: '7001' }, dir)).toMatchObject({ port: 7001, limits: { streamBuffer: 10 } });
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ STATEGATE_PORT: 'eighty' }, /STATEGATE_PORT/],
    [{ STATEGATE_PORT: '70000' }, /STATEGATE_PORT/],
    [{ STATEGATE_AUTH_DISABLED: 'maybe' }, /STATEGATE_AUTH_DISABLED/],
    [{ STATEGATE_STORAGE_PROVIDER: '{name: sqlite}' }, /STATEGATE_STORAGE_PROVIDER.*JSON/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "oracle"}' }, /STATEGATE_STORAGE_PROVIDER/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "postgres"}' }, /STATEGATE_STORAGE_PROVIDER/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "postgres", "addr": "mysql://x"}' }, /STATEGATE_STORAGE_PROVIDER/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "postgres", "addr": "postgres://x", "poolSize": 0}' }, /poolSize/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mysql"}' }, /STATEGATE_STORAGE_PROVIDER/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mysql", "addr": "postgres://x"}' }, /must be a mysql:\/\/ URL/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mysql", "addr": "mysql://x", "poolSize": 1001}' }, /poolSize/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mongo"}' }, /STATEGATE_STORAGE_PROVIDER/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mongo", "addr": "postgres://x"}' }, /must be a mongodb:\/\/ URL/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mongo", "addr": "mongodb://x", "poolSize": 0}' }, /poolSize/],
    [{ STATEGATE_STORAGE_PROVIDER: '{"name": "mongo", "addr": "mongodb://x", "database": "a.b"}' }, /database/],
    [{ STATEGATE_CACHE_PROVIDER: '{"name": "memcached"}' }, /STATEGATE_CACHE_PROVIDER/],
    [{ STATEGATE_CACHE_PROVIDER: '{"name": "nats"}' }, /STATEGATE_CACHE_PROVIDER/],
    [{ STATEGATE_CACHE_PROVIDER: '{"name": "nats", "addr": "bad host:1"}' }, /STATEGATE_CACHE_PROVIDER: addr/],
    [{ STATEGATE_CACHE_PROVIDER: '{"name": "redis"}' }, /STATEGATE_CACHE_PROVIDER/],
    [{ STATEGATE_CHANNEL_PROVIDER: '{"name": "redis", "addr": "bad host:1"}' }, /STATEGATE_CHANNEL_PROVIDER: addr/],
    [{ STATEGATE_STREAM_BUFFER: '0' }, /STATEGATE_STREAM_BUFFER/],
    [{ STATEGATE_MAX_BODY_BYTES: '10' }, /STATEGATE_MAX_BODY_BYTES/],
    [{ STATEGATE_PROT: '8080' }, /STATEGATE_PROT: unknown variable/],
    [{ STATEGATE_JWKS_URI: 'not a url' }, /STATEGATE_JWKS_URI: must be an http\(s\):\/\/ URL/],
    [{ STATEGATE_JWKS_URI: 'file:///etc/jwks.json' }, /STATEGATE_JWKS_URI: must be an http\(s\):\/\/ URL/],
    [{ STATEGATE_JWKS_URI: 'https://idp.example/jwks', STATEGATE_JWT_ALGORITHMS: 'HS256' }, /STATEGATE_JWT_ALGORITHMS/],
    [{ STATEGATE_JWT_ALGORITHMS: 'RS256,none' }, /STATEGATE_JWT_ALGORITHMS/],
    [{ STATEGATE_JWT_ALGORITHMS: ' , ' }, /STATEGATE_JWT_ALGORITHMS: must name at least one algorithm/],
    [{ STATEGATE_JWT_LEEWAY_S: '301' }, /STATEGATE_JWT_LEEWAY_S/],
    [{ STATEGATE_JWT_MAX_BYTES: '100' }, /STATEGATE_JWT_MAX_BYTES/],
    [{ STATEGATE_JWKS_CACHE_MAX_AGE_MS: '10' }, /STATEGATE_JWKS_CACHE_MAX_AGE_MS/],
    [{ STATEGATE_JWKS_TIMEOUT_MS: '0' }, /STATEGATE_JWKS_TIMEOUT_MS/],
    [{ STATEGATE_JWKS_COOLDOWN_MS: '-1' }, /STATEGATE_JWKS_COOLDOWN_MS/],
    [{ STATEGATE_JWT_ISSUER: ' ' }, /STATEGATE_JWT_ISSUER/],
    [
      { STATEGATE_AUTH_DISABLED: 'true', STATEGATE_REQUEST_POLICY: 'cGFja2FnZQ==' },
      /STATEGATE_REQUEST_POLICY: set while/,
    ],
    [{ STATEGATE_REQUEST_POLICY: 'not base64!' }, /STATEGATE_REQUEST_POLICY: must be base64/],
    [{ STATEGATE_REQUEST_POLICY: 'ICAg' }, /STATEGATE_REQUEST_POLICY: decodes to an empty policy/],
    [
      { STATEGATE_REQUEST_POLICY: 'cGFja2FnZQ==', STATEGATE_REQUEST_POLICY_FILE: 'p.rego' },
      /STATEGATE_REQUEST_POLICY, STATEGATE_REQUEST_POLICY_FILE: set only one of them/,
    ],
    [
      { STATEGATE_RESPONSE_POLICY_FILE: 'missing.rego' },
      /STATEGATE_RESPONSE_POLICY_FILE: cannot read missing.rego: ENOENT/,
    ],
    [
      { STATEGATE_RESPONSE_POLICY_FILE: 'missing.wasm' },
      /STATEGATE_RESPONSE_POLICY_FILE: cannot read missing.wasm: ENOENT/,
    ],
    [{ STATEGATE_CORS_ALLOW_ORIGINS: 'null' }, /STATEGATE_CORS_ALLOW_ORIGINS: "null" is not an origin/],
    [{ STATEGATE_CORS_ALLOW_ORIGINS: 'https://a.example/' }, /STATEGATE_CORS_ALLOW_ORIGINS: "https:\/\/a.example\/"/],
    [{ STATEGATE_CORS_ALLOW_ORIGINS: 'a.example' }, /STATEGATE_CORS_ALLOW_ORIGINS: "a.example" is not an origin/],
    [{ STATEGATE_CORS_ALLOW_ORIGINS: 'ftp://a.example' }, /STATEGATE_CORS_ALLOW_ORIGINS/],
    [
      { STATEGATE_CORS_ALLOW_ORIGINS: '*', STATEGATE_CORS_ALLOW_CREDENTIALS: 'true' },
      /STATEGATE_CORS_ALLOW_CREDENTIALS: cannot be true while STATEGATE_CORS_ALLOW_ORIGINS is \*/,
    ],
    [{ STATEGATE_TLS_CERT_FILE: '/nonexistent/cert.pem' }, /STATEGATE_TLS_KEY_FILE: required/],
    [
      { STATEGATE_TLS_CERT_FILE: '/nonexistent/cert.pem', STATEGATE_TLS_KEY_FILE: '/nonexistent/key.pem' },
      /STATEGATE_TLS_CERT_FILE: cannot read \/nonexistent\/cert.pem: ENOENT/,
    ],
    [{ STATEGATE_MUTEX_DEFAULT_TTL_MS: '5000', STATEGATE_MUTEX_MAX_TTL_MS: '1000' }, /STATEGATE_MUTEX_DEFAULT_TTL_MS/],
    [
      { STATEGATE_HEADERS_TIMEOUT_MS: '70000', STATEGATE_REQUEST_TIMEOUT_MS: '60000' },
      /STATEGATE_HEADERS_TIMEOUT_MS: must not exceed/,
    ],
    [{ STATEGATE_CONSOLE: 'off' }, /STATEGATE_CONSOLE/],
  ];
  it.each(bad)('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env, emptyDir())).toThrow(ConfigError);
    expect(() => loadConfig(env, emptyDir())).toThrow(message);
  });
});
