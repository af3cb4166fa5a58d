/**
 * The console with authentication and a Rego request policy on (each user reads and writes only the domain
 * named by its token's `sub`): without a token it says a sign-in is needed; with alice's token it shows her
 * domain, and what the policy denies (every domain's types, bob's entities, a write to bob's domain) reads as
 * a clean "not allowed by policy" note instead of a broken page. Every other origin is blocked.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { blockOtherOrigins, type LaunchedBrowser, launchBrowser, saveScreenshot } from '../support/browser.js';
import { gql } from '../support/graphql.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { policyBase64 } from './policy-helpers.js';

const SET = 'mutation($input: EntityInput!) { setEntity(input: $input) }';

let jwks: JwksServer;
let server: StoredServerProcess;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
let blocked: string[];
let aliceToken: string;
let bobToken: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  jwks = await startJwksServer();
  server = await spawnStoredServer({
    STATEGATE_METRICS_PORT: '0',
    STATEGATE_JWKS_URI: jwks.url,
    STATEGATE_REQUEST_POLICY: policyBase64('own-domain'),
  });
  aliceToken = await jwks.sign({ sub: 'alice', expiresInS: 600 });
  bobToken = await jwks.sign({ sub: 'bob', expiresInS: 600 });
  const write = (token: string, domain: string, key: string) =>
    gql(
      `${server.url}/api/graphql`,
      SET,
      { input: { domain, type: 'note', key, values: { text: key } } },
      { authorization: `Bearer ${token}` },
    );
  expect((await write(aliceToken, 'alice', 'a-1')).data).toEqual({ setEntity: true });
  expect((await write(bobToken, 'bob', 'b-1')).data).toEqual({ setEntity: true });
  browser = await launchBrowser();
  context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
  blocked = await blockOtherOrigins(context, server.url);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  await jwks?.close();
});

afterEach(() => {
  expect(blocked).toEqual([]);
  expect(pageErrors).toEqual([]);
});

it('says a sign-in is needed without a token, and signs in with a JWT kept in localStorage stategate.token', async () => {
  await page.goto(`${server.url}/console/login`);
  await until(
    () => page.getByTestId('auth-status').textContent(),
    (t) => (t ?? '').includes('This server requires a JWT'),
  );
  expect(await page.getByTestId('connection').textContent()).toContain('sign-in needed');
  await page.getByLabel('JWT').fill(aliceToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await until(
    () => page.getByTestId('auth-status').textContent(),
    (t) => (t ?? '').includes('Signed in as alice'),
  );
  expect(await page.evaluate(() => localStorage.getItem('stategate.token'))).toBe(aliceToken);
  await saveScreenshot(page, 'console-policy-login');
});

it('shows a policy denial cleanly: every domain’s types and bob’s entities are denied, alice’s are listed', async () => {
  await page.goto(`${server.url}/console/`);
  const alert = page.getByRole('alert');
  await until(
    () => alert.getAttribute('data-code'),
    (code) => code === 'PERMISSION_DENIED',
  );
  expect(await alert.textContent()).toContain('Not allowed by policy');
  expect(await alert.textContent()).toContain('request policy denied /stategate.EntityService/ListTypes');
  await saveScreenshot(page, 'console-policy-denied-types');

  await page.getByLabel('Domain (optional)').fill('alice');
  await page.getByRole('button', { name: 'Show' }).click();
  await until(
    async () => (await page.locator('table.types tbody tr').allInnerTexts()).join('|').replace(/\s+/g, ' '),
    (rows) => rows === 'alice note 1',
  );

  await page.goto(`${server.url}/console/entities/bob/note`);
  await until(
    () => alert.getAttribute('data-code'),
    (code) => code === 'PERMISSION_DENIED',
  );
  expect(await alert.textContent()).toContain('request policy denied /stategate.EntityService/Search');
  expect(await page.locator('table.entities').count()).toBe(0);
  await saveScreenshot(page, 'console-policy-denied-entities');

  await page.goto(`${server.url}/console/entities/alice/note`);
  await until(
    () => page.locator('table.entities tbody tr td:first-child').allInnerTexts(),
    (keys) => keys[0] === 'a-1',
  );
});

it('a write the policy denies (a cache entry in bob’s domain) reads as a denial too, and nothing is written', async () => {
  await page.goto(`${server.url}/console/cache`);
  await page.getByLabel('Domain').fill('bob');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  const alert = page.getByRole('alert');
  await until(
    () => alert.getAttribute('data-code'),
    (code) => code === 'PERMISSION_DENIED',
  );
  const bobsEntry = await gql(
    `${server.url}/api/graphql`,
    'query { getCache(input: {domain: "bob", key: "greeting"}) { value } }',
    {},
    { authorization: `Bearer ${bobToken}` },
  );
  expect(bobsEntry.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  await saveScreenshot(page, 'console-policy-denied-write');
  await page.getByLabel('Domain').fill('alice');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await until(
    () => page.getByRole('status').last().textContent(),
    (t) => t?.includes('Set; it never expires') ?? false,
  );
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await until(
    () => page.getByTestId('cache-entry').textContent(),
    (t) => t?.includes('"hello"') ?? false,
  );
});

/** Reads `probe` until `ok` holds (the page renders asynchronously); fails with the last reading after 20 s. */
async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after 20 s; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
