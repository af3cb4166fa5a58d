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
      cors: { origins: ['*'] },
      limits: { streamBuffer: 1024, searchLimitCap: 1000, mutexDefaultTtlMs: 60_000 },
      maxBodyBytes: 4 * 1024 * 1024,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
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
    [{ STATEGATE_JWKS_URI: 'https://issuer.example/jwks' }, /STATEGATE_JWKS_URI/],
    [{ STATEGATE_TLS_CERT_FILE: '/nonexistent/cert.pem' }, /STATEGATE_TLS_KEY_FILE: required/],
    [
      { STATEGATE_TLS_CERT_FILE: '/nonexistent/cert.pem', STATEGATE_TLS_KEY_FILE: '/nonexistent/key.pem' },
      /STATEGATE_TLS_CERT_FILE: cannot read \/nonexistent\/cert.pem: ENOENT/,
    ],
    [{ STATEGATE_MUTEX_DEFAULT_TTL_MS: '5000', STATEGATE_MUTEX_MAX_TTL_MS: '1000' }, /STATEGATE_MUTEX_DEFAULT_TTL_MS/],
  ];
  it.each(bad)('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env, emptyDir())).toThrow(ConfigError);
    expect(() => loadConfig(env, emptyDir())).toThrow(message);
  });
});
