import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, storageForLog } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { type App, startApp } from '../../src/server/app.js';
import { gql } from '../support/graphql.js';
import { GrpcClient, toStruct } from '../support/grpc.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { rest } from '../support/rest.js';
import { uid, until } from './helpers.js';

/**
 * Tokens, passwords and secrets never reach the log: a bearer token sent on every transport, a JWKS URL
 * with a password, provider URLs with passwords. Logs are captured at debug, the most talkative level.
 */

type Line = Record<string, unknown>;
const D = 'e2e-logs-secrets';

function capture(): { lines: Line[]; text: () => string; sink: Writable } {
  const lines: Line[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw += chunk.toString('utf8');
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { lines, text: () => raw, sink };
}

async function startWith(env: Record<string, string>, sink: Writable): Promise<{ app: App; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-secrets-'));
  const config = loadConfig(
    {
      STATEGATE_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'db.sqlite') }),
      ...env,
    },
    dir,
  );
  return { app: await startApp(config, createLogger('debug', sink)), dir };
}

describe('a bearer token on every transport', () => {
  let jwks: JwksServer;
  let app: App;
  let dir: string;
  const logs = capture();
  beforeAll(async () => {
    jwks = await startJwksServer();
    ({ app, dir } = await startWith({ STATEGATE_JWKS_URI: jwks.url }, logs.sink));
  });
  afterAll(async () => {
    await app?.close();
    await jwks?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not logged, while the request lines name its verified sub', async () => {
    const sub = `user-${uid()}`;
    const token = await jwks.sign({ sub });
    const authorization = `Bearer ${token}`;
    const ids = { rest: `r-${uid()}`, graphql: `g-${uid()}`, grpc: `p-${uid()}`, refused: `x-${uid()}` };

    const set = await rest(app.url, `/api/entity/ref/${D}/t/${uid()}`, {
      method: 'POST',
      headers: { authorization, 'x-request-id': ids.rest, cookie: `session=${token}` },
      body: { values: { a: 1 } },
    });
    expect(set.status).toBe(200);
    await gql(
      `${app.url}/api/graphql`,
      `query { getEntity(input: {domain: "${D}", type: "t", key: "x"}) { key } }`,
      {},
      {
        authorization,
        'x-request-id': ids.graphql,
      },
    );
    const grpc = new GrpcClient(app.url.replace(/^http:\/\//, ''));
    try {
      await grpc.call(
        'EntityService',
        'Set',
        { domain: D, type: 't', key: uid(), values: toStruct({ a: 1 }) },
        { authorization, 'x-request-id': ids.grpc },
      );
    } finally {
      grpc.close();
    }
    // A token the server refuses (signed by a key it does not know) is not logged either.
    const stranger = await jwks.createKey({ publish: false });
    const refusedToken = await jwks.sign({ key: stranger, sub });
    const refused = await rest(app.url, `/api/entity/ref/${D}/t/x`, {
      headers: { authorization: `Bearer ${refusedToken}`, 'x-request-id': ids.refused },
    });
    expect(refused.status).toBe(401);

    for (const id of Object.values(ids)) {
      await until(() => logs.lines.some((l) => l.requestId === id), `the log line of ${id}`, 5_000);
    }
    for (const transport of ['rest', 'graphql', 'grpc'] as const) {
      expect(logs.lines.find((l) => l.requestId === ids[transport])).toMatchObject({ transport, sub });
    }
    expect(logs.lines.find((l) => l.requestId === ids.refused)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    for (const secret of [token, refusedToken]) {
      // Neither the whole token nor its signature, nor its payload segment.
      for (const part of [secret, ...secret.split('.').slice(1)]) expect(logs.text()).not.toContain(part);
    }
  });
});

it('a JWKS URL with a password: the password is not logged', async () => {
  const jwks = await startJwksServer();
  const logs = capture();
  const withPassword = jwks.url.replace('http://', 'http://stategate:jwks-s3cret-pw@');
  const { app, dir } = await startWith({ STATEGATE_JWKS_URI: withPassword }, logs.sink);
  try {
    const token = await jwks.sign({});
    await rest(app.url, `/api/entity/ref/${D}/t/x`, { headers: { authorization: `Bearer ${token}` } });
    // The URL was logged (the fetch of a URL with credentials fails, and says so) — without its password.
    await until(() => logs.lines.some((l) => typeof l.jwks === 'string'), 'a log line naming the JWKS', 5_000);
    expect(logs.text()).not.toContain('jwks-s3cret-pw');
  } finally {
    await app.close();
    await jwks.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('provider URLs with passwords: the start-up line and any logged config hide them', () => {
  const config = loadConfig(
    {
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({
        name: 'postgres',
        addr: 'postgres://app:pg-s3cret-pw@db:5432/state',
      }),
      STATEGATE_CHANNEL_PROVIDER: JSON.stringify({ name: 'redis', addr: 'redis:6379', password: 'redis-s3cret-pw' }),
    },
    tmpdir(),
  );
  const logs = capture();
  const logger = createLogger('debug', logs.sink);
  // main.ts's start-up line…
  logger.info({ storage: storageForLog(config.storage) }, 'stategate listening');
  // …and whatever logs a provider's config or a request's headers whole.
  logger.info({ channel: config.channel, headers: { authorization: 'Bearer hdr-s3cret', cookie: 'c-s3cret' } }, 'x');
  expect(logs.lines).toHaveLength(2);
  expect(logs.text()).toContain('db:5432');
  for (const secret of ['pg-s3cret-pw', 'redis-s3cret-pw', 'hdr-s3cret', 'c-s3cret']) {
    expect(logs.text()).not.toContain(secret);
  }
});
