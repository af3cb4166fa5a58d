/**
 * GraphiQL in a real browser (Debian's chromium, headless, through playwright-core) against `node dist/main.js`,
 * with every request to anything but the server aborted: the page must load, run the seed mutation, and
 * receive live events another client writes, from its own bundled assets alone. With auth on, the token the
 * console's login stored is the Authorization header GraphiQL starts with. Screenshots: .tmp/screenshots/.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { CONSOLE_TOKEN_KEY } from '../../src/server/graphql.js';
import { blockOtherOrigins, type LaunchedBrowser, launchBrowser, saveScreenshot } from '../support/browser.js';
import { gql } from '../support/graphql.js';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';

const WRITE_ELSEWHERE =
  'mutation($key: String!, $values: JSON!) { setEntity(input: {domain: "accounting", type: "user", key: $key, values: $values}) }';

let browser: LaunchedBrowser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * Reads `probe` until `ok` holds (the page renders asynchronously), then returns what it read; throws with
 * the last reading after 30 s.
 */
async function until(probe: () => Promise<string>, ok: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await probe();
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`still not there after 30 s; last seen:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An element's text as shown (Monaco draws spaces as no-break spaces). */
const textOf = async (page: Page, selector: string) =>
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's locator, not a DOM node: the text as rendered, line breaks included
  (await page.locator(selector).innerText()).replaceAll('\u00a0', ' ');

/** The text GraphiQL's response pane shows now. */
const responseText = (page: Page) => textOf(page, '.graphiql-response');

/** Opens GraphiQL from `origin` with the network to anything else blocked; returns the page and what was blocked. */
async function openGraphiql(context: BrowserContext, origin: string): Promise<{ page: Page; blocked: string[] }> {
  const blocked = await blockOtherOrigins(context, origin);
  const page = await context.newPage();
  await page.goto(`${origin}/api/graphql`);
  // The editor is there once the bundled script ran; the schema is loaded once the docs explorer can open.
  await page.locator('.graphiql-query-editor').waitFor();
  return { page, blocked };
}

async function runTab(page: Page, name: string): Promise<void> {
  await page.locator('.graphiql-tab', { hasText: name }).click();
  await page.locator('.graphiql-execute-button').click();
}

describe('GraphiQL, auth off (protected mode)', () => {
  let server: StoredServerProcess;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await server?.close();
  });
  // Each test on a fresh context: GraphiQL keeps its tabs in localStorage.
  beforeEach(async () => {
    context = await browser.browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('loads with the internet blocked, opens on the seed mutation and a streamEvents tab, and runs the mutation', async () => {
    const { page, blocked } = await openGraphiql(context, server.url);
    expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual([
      expect.stringContaining('SetEntity'),
      expect.stringContaining('StreamEvents'),
    ]);
    await runTab(page, 'SetEntity');
    expect(
      await until(
        () => responseText(page),
        (text) => text.includes('"setEntity"'),
      ),
    ).toMatch(/"setEntity":\s*true/);
    await saveScreenshot(page, 'graphiql-seed-mutation');
    const stored = await gql<{ getEntity: { values: Record<string, unknown> } }>(
      `${server.url}/api/graphql`,
      '{ getEntity(input: {domain: "accounting", type: "user", key: "coleman.word@example.com"}) { values } }',
    );
    expect(stored.data?.getEntity.values).toEqual({ first_name: 'Coleman', last_name: 'Word' });
    expect(blocked).toEqual([]);
  });

  it('streams events another client writes into the StreamEvents tab', async () => {
    const { page, blocked } = await openGraphiql(context, server.url);
    await runTab(page, 'StreamEvents');
    // Another client writes new versions until one shows in the tab: a write can land before the stream is
    // registered. GraphiQL settles the tab it switched to a moment later, so a run right away may still send
    // a stale document ("Cannot infer operation", "Unexpected <EOF>"): an error there is run again.
    let version = 0;
    const key = 'written.elsewhere@example.com';
    const shown = await until(
      async () => {
        const text = await responseText(page);
        if (text.includes('"errors"')) {
          await page.locator('.graphiql-execute-button').click();
          return text;
        }
        version += 1;
        const write = await gql(`${server.url}/api/graphql`, WRITE_ELSEWHERE, { key, values: { n: version } });
        expect(write.data).toEqual({ setEntity: true });
        return responseText(page);
      },
      (text) => text.includes(key),
    );
    expect(shown).toMatch(/"method":\s*"\/stategate\.EntityService\/Set"/);
    await saveScreenshot(page, 'graphiql-stream-events');
    expect(blocked).toEqual([]);
  });
});

describe('GraphiQL, auth on', () => {
  let jwks: JwksServer;
  let server: StoredServerProcess;

  beforeAll(async () => {
    jwks = await startJwksServer();
    server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0', STATEGATE_JWKS_URI: jwks.url });
  });
  afterAll(async () => {
    await server?.close();
    await jwks?.close();
  });

  it("starts with the console login's token as the Authorization header, and the server accepts it", async () => {
    const token = await jwks.sign({ sub: 'graphiql-user', expiresInS: 600 });
    const context = await browser.browser.newContext();
    try {
      await context.addInitScript(([key, value]) => window.localStorage.setItem(key!, value!), [
        CONSOLE_TOKEN_KEY,
        token,
      ] as const);
      const { page, blocked } = await openGraphiql(context, server.url);
      await page.getByText('Headers', { exact: true }).click();
      const headers = await until(
        () => textOf(page, '.graphiql-editor-tool'),
        (text) => text.includes('Bearer'),
      );
      expect(headers).toContain(`Bearer ${token.slice(0, 20)}`);
      await runTab(page, 'SetEntity');
      expect(
        await until(
          () => responseText(page),
          (text) => text.includes('"setEntity"'),
        ),
      ).toMatch(/"setEntity":\s*true/);
      await saveScreenshot(page, 'graphiql-auth-token');
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without a login starts with no header, and the server refuses the mutation UNAUTHENTICATED', async () => {
    const context = await browser.browser.newContext();
    try {
      const { page, blocked } = await openGraphiql(context, server.url);
      await runTab(page, 'SetEntity');
      expect(
        await until(
          () => responseText(page),
          (text) => text.includes('errors'),
        ),
      ).toContain('UNAUTHENTICATED');
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
