import { runUntilExit, type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { rest } from '../support/rest.js';
import { newSecret, startReceiver } from './trigger-helpers.js';

/** Without STATEGATE_TRIGGERS_ALLOW_PRIVATE, triggers may only call public addresses (no SSRF into our network). */
let server: StoredServerProcess;
beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_AUTH_DISABLED: 'true' });
}, 30_000);
afterAll(() => server?.close());

const trigger = (url: string, extra: Record<string, unknown> = {}) => ({
  name: `t${Math.random().toString(36).slice(2, 10)}`,
  url,
  domain: '*',
  type: '*',
  secret: newSecret(),
  ...extra,
});

it.each([
  'http://127.0.0.1:9/hook',
  'http://localhost:9/hook',
  'http://[::1]:9/hook',
  'http://[::ffff:127.0.0.1]:9/hook',
  'http://10.1.2.3/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://0.0.0.0:9/',
  'http://2130706433/', // 127.0.0.1 as one number: URL parsing normalises it, the check sees the address
])('refuses a private target: %s', async (url) => {
  const res = await rest(server.url, '/api/triggers', { method: 'POST', body: trigger(url) });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 3, message: expect.stringMatching(/refused/) });
  expect((await rest(server.url, '/api/triggers')).text).not.toContain(url);
});

it.each([
  [{ url: 'ftp://example.com/' }, /http/],
  [{ url: 'https://user:pw@example.com/' }, /credentials/],
  [{ secret: 'not-a-secret' }, /whsec_/],
  [{ secret: 'whsec_AAAA' }, /24 to 64 bytes/],
  [{ headers: { 'webhook-signature': 'x' } }, /set by stategate/],
  [{ headers: { 'x-a': 'a\r\nx-b: b' } }, /printable/],
  [{ maxAttempts: 5000 }, /maxAttempts/],
  [{ from: 'yesterday' }, /from/],
  [{ name: 'has space' }, /name/],
])('refuses a bad trigger with INVALID_ARGUMENT: %j', async (bad, message) => {
  const res = await rest(server.url, '/api/triggers', { method: 'POST', body: trigger('https://example.com/', bad) });
  expect(res.status).toBe(400);
  expect((res.body as { message: string }).message).toMatch(message);
});

it('GraphQL refuses a loopback target the same way, and the receiver is never called', async () => {
  const r = await startReceiver();
  try {
    const res = await rest(server.url, '/api/graphql', {
      method: 'POST',
      body: {
        query: `mutation($i: TriggerInput!) { createTrigger(input: $i) { name } }`,
        variables: { i: trigger(r.url) },
      },
    });
    expect((res.body as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(r.attempts.length).toBe(0);
  } finally {
    await r.stop();
  }
});

it('refuses to start with a bad STATEGATE_TRIGGERS, naming the variable', async () => {
  const base = { STATEGATE_AUTH_DISABLED: 'true', STATEGATE_STORAGE_PROVIDER: '{"name":"sqlite","path":":memory:"}' };
  const notJson = await runUntilExit({ ...base, STATEGATE_TRIGGERS: '[{' });
  expect(notJson.code).toBe(2);
  expect(notJson.stderr).toMatch(/STATEGATE_TRIGGERS/);
  const badField = await runUntilExit({
    ...base,
    STATEGATE_TRIGGERS: JSON.stringify([trigger('https://example.com/', { secret: 'x' })]),
  });
  expect(badField.code).toBe(2);
  expect(badField.stderr).toMatch(/STATEGATE_TRIGGERS: \[0\] trigger secret/);
  const privateTarget = await runUntilExit({
    ...base,
    STATEGATE_TRIGGERS: JSON.stringify([trigger('http://127.0.0.1:9/hook', { name: 'local' })]),
  });
  expect(privateTarget.code).toBe(2);
  expect(privateTarget.stderr).toMatch(/STATEGATE_TRIGGERS: trigger local: .*refused/);
  const badConcurrency = await runUntilExit({ ...base, STATEGATE_TRIGGERS_CONCURRENCY: '0' });
  expect(badConcurrency.code).toBe(2);
  expect(badConcurrency.stderr).toMatch(/STATEGATE_TRIGGERS_CONCURRENCY/);
});
