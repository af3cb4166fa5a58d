/**
 * The web console in a real browser (Debian's chromium, headless, through playwright-core) against
 * `node dist/main.js`, with every request to anything but the server aborted: it lists types and entities,
 * opens one, shows its history and a diff, travels in time, reverts (and refuses to when the entity moved on),
 * and tails live events another client writes, with pause and resume by position. Screenshots:
 * .tmp/screenshots/console-*.png.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { blockOtherOrigins, type LaunchedBrowser, launchBrowser, saveScreenshot } from '../support/browser.js';
import { gql } from '../support/graphql.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';

const SET = 'mutation($input: EntityInput!) { setEntity(input: $input) }';
const EDIT = 'mutation($input: EntityInput!) { editEntity(input: $input) { version } }';
const GET = 'query($input: EntityRefInput!) { getEntity(input: $input) { version values } }';
const HISTORY =
  'query($input: SearchEventOpts!) { searchEvents(input: $input) { events { time entity { version } } } }';

let browser: LaunchedBrowser;
let server: StoredServerProcess;
let context: BrowserContext;
let page: Page;
let blocked: string[];
const pageErrors: string[] = [];

const api = (query: string, input: Record<string, unknown>) => gql(`${server.url}/api/graphql`, query, { input });
const alice = { domain: 'accounting', type: 'user', key: 'alice' };

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0' });
  // Two versions of alice, a few ms apart (time travel picks an instant between them), and two more entities.
  await api(SET, { ...alice, values: { name: 'Alice', age: 30 } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await api(EDIT, { ...alice, values: { age: 31, city: 'Paris' } });
  await api(SET, { domain: 'accounting', type: 'user', key: 'bob', values: { name: 'Bob', age: 25 } });
  await api(SET, { domain: 'accounting', type: 'invoice', key: 'i-1', values: { total: 10 } });
  browser = await launchBrowser();
  // UTC, so the time-travel input (local time) is written here exactly as the page reads it.
  context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  blocked = await blockOtherOrigins(context, server.url);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

afterEach(() => {
  // No request left the machine, the CSP refused nothing, and the page threw nothing.
  expect(blocked).toEqual([]);
  expect(pageErrors).toEqual([]);
});

const rowOf = (version: string) => page.locator(`table.timeline tr[data-version="${version}"]`);

it('lists the domains and types with their counts, then the entities of one, filtered and sorted', async () => {
  await page.goto(`${server.url}/console/`);
  const types = page.locator('table.types tbody tr');
  await expect_(
    async () => (await types.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
    ['accounting invoice 1', 'accounting user 2'],
  );
  await expect_(async () => page.getByTestId('readiness').textContent(), 'ready');
  expect(oneLine(await page.getByTestId('totals').textContent())).toBe('3 live entities in 2 types of 1 domain.');
  await saveScreenshot(page, 'console-types');

  await page.locator('a[href="/console/entities/accounting/user"]').click();
  const keys = page.locator('table.entities tbody tr td:first-child');
  await expect_(() => keys.allInnerTexts(), ['alice', 'bob']);
  await page.getByLabel('Sort by').fill('age');
  await page.getByLabel('Descending').check();
  await page.getByRole('button', { name: 'Search' }).click();
  await expect_(() => keys.allInnerTexts(), ['alice', 'bob']);
  await page.getByLabel('Filter (JSON)').fill('{"age": {"$lt": 30}}');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect_(() => keys.allInnerTexts(), ['bob']);
  expect(page.url()).toContain('sort=age');
  // A filter the server refuses reads as bad input, with the server's reason.
  await page.getByLabel('Filter (JSON)').fill('{"$where": "1"}');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect_(() => page.getByRole('alert').getAttribute('data-code'), 'INVALID_ARGUMENT');
  await saveScreenshot(page, 'console-entities');
});

it('opens an entity: its values, its history, a diff between two versions, and its state at a past time', async () => {
  await page.goto(`${server.url}/console/entity/accounting/user/alice`);
  await expect_(() => page.getByTestId('current-version').textContent(), '2');
  await expect_(() => page.locator('table.timeline tbody tr').count(), 2);
  // The diff opens on the last change (v1 → v2): age changed, city added.
  const diff = page.getByTestId('diff');
  await expect_(
    async () => (await diff.locator('tbody tr').allInnerTexts()).map(oneLine),
    ['age changed 30 31', 'city added — "Paris"'],
  );
  // Comparing a version with itself shows no difference.
  await page.getByLabel('compare to version 1').check();
  await expect_(() => page.getByText('No difference between v1 and v1').count(), 1);
  await page.getByLabel('compare to version 2').check();

  const { data } = await api(HISTORY, {
    domain: alice.domain,
    type: alice.type,
    query_string: JSON.stringify({ 'entity.key': 'alice' }),
    limit: 10,
  });
  const times = (data as { searchEvents: { events: { time: string }[] } }).searchEvents.events.map((e) =>
    BigInt(e.time),
  );
  // The first millisecond at or after v1 and before v2 (writes were 20 ms apart).
  const atMs = Number((times[0]! + 999_999n) / 1_000_000n);
  expect(BigInt(atMs) * 1_000_000n < times[1]!).toBe(true);
  await page.getByLabel('State as of (your local time)').fill(new Date(atMs).toISOString().slice(0, 23));
  await page.getByRole('button', { name: 'Show state' }).click();
  const travelled = page.getByTestId('time-travel-result');
  await expect_(async () => oneLine(await travelled.textContent()), expect.stringContaining('version 1'));
  expect(await travelled.locator('pre').textContent()).toContain('"age": 30');
  // Before the first change the entity did not exist yet.
  await page.getByLabel('State as of (your local time)').fill(new Date(atMs - 60_000).toISOString().slice(0, 23));
  await page.getByRole('button', { name: 'Show state' }).click();
  await expect_(async () => oneLine(await travelled.textContent()), expect.stringContaining('did not exist'));
  await saveScreenshot(page, 'console-entity');
});

it('reverts to an earlier version, and refuses to when another client changed the entity meanwhile', async () => {
  await page.goto(`${server.url}/console/entity/accounting/user/alice`);
  await expect_(() => page.getByTestId('current-version').textContent(), '2');
  // From the keyboard: Enter asks, focus moves to the confirmation, Enter confirms.
  await rowOf('1').getByRole('button', { name: 'Revert to version 1' }).focus();
  await page.keyboard.press('Enter');
  await expect_(() => page.evaluate(() => document.activeElement?.textContent), 'Revert to v1 (if still v2)');
  await page.keyboard.press('Enter');
  await expect_(() => page.getByTestId('current-version').textContent(), '3');
  const reverted = await api(GET, alice);
  expect(reverted.data).toEqual({ getEntity: { version: '3', values: { name: 'Alice', age: 30 } } });
  await expect_(() => page.locator('table.timeline tbody tr').count(), 3);
  expect(oneLine(await rowOf('3').textContent())).toContain('Revert');

  // Another client writes v4 while the page still shows v3: the revert is refused, nothing is written.
  await api(SET, { ...alice, values: { name: 'Alice', age: 32 } });
  await rowOf('2').getByRole('button', { name: 'Revert to version 2' }).click();
  await rowOf('2')
    .getByRole('button', { name: /Revert to v2 \(if still v3\)/ })
    .click();
  await expect_(() => page.getByRole('alert').getAttribute('data-code'), 'ABORTED');
  expect(await page.getByRole('alert').textContent()).toContain('changed since this page loaded');
  expect((await api(GET, alice)).data).toEqual({ getEntity: { version: '4', values: { name: 'Alice', age: 32 } } });
  await saveScreenshot(page, 'console-revert-refused');
});

it('tails live events written by another client, with globs, pause, and a resume that misses nothing', async () => {
  await page.goto(`${server.url}/console/events`);
  await page.getByLabel('Domain glob').fill('accounting');
  await page.getByLabel('Key glob').fill('tail-*');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect_(() => page.getByTestId('tail-state').textContent(), expect.stringContaining('Live'));
  const keysShown = async () =>
    (await page.locator('table.tail tbody tr td:nth-child(4)').allInnerTexts()).map((t) => t.split('/').pop());
  // The subscription is open once the server counts it; write until the first event shows (no timing assumed).
  for (let i = 0; (await page.locator('table.tail tbody tr').count()) === 0; i++) {
    await api(SET, { domain: 'accounting', type: 'user', key: `tail-0-${i}`, values: { i } });
    await page.waitForTimeout(100);
  }
  await api(SET, { domain: 'accounting', type: 'user', key: 'tail-1', values: { n: 1 } });
  await api(SET, { domain: 'other', type: 'user', key: 'tail-x', values: {} }); // another domain: not shown
  await expect_(async () => (await keysShown())[0], 'tail-1');

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect_(() => page.getByTestId('tail-state').textContent(), expect.stringContaining('Paused after position'));
  await api(SET, { domain: 'accounting', type: 'user', key: 'tail-2', values: { n: 2 } });
  await api(SET, { domain: 'accounting', type: 'user', key: 'tail-3', values: { n: 3 } });
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect_(async () => (await keysShown()).slice(0, 3), ['tail-3', 'tail-2', 'tail-1']);
  await api(SET, { domain: 'accounting', type: 'user', key: 'tail-4', values: { n: 4 } });
  await expect_(async () => (await keysShown())[0], 'tail-4');
  const shown = await keysShown();
  expect(shown).not.toContain('tail-x');
  // Every event once: positions strictly falling from the top, no duplicate across the pause.
  const positions = (await page.locator('table.tail tbody tr td:first-child').allInnerTexts()).map(Number);
  expect(positions).toEqual([...positions].sort((a, b) => b - a));
  expect(new Set(positions).size).toBe(positions.length);
  await saveScreenshot(page, 'console-events');
});

it('broadcasts and streams peer messages, sets/gets/deletes cache entries, locks and unlocks a mutex', async () => {
  await page.goto(`${server.url}/console/peers`);
  const listen = page.locator('form', { has: page.getByRole('heading', { name: 'Live stream' }) });
  await listen.getByLabel('Domain glob').fill('chat');
  await listen.getByRole('button', { name: 'Listen' }).click();
  // The stream is open once a message shows; broadcast until one does (messages are never stored).
  const bodies = page.locator('ul.messages pre');
  while ((await bodies.count()) === 0) {
    await page.getByRole('button', { name: 'Broadcast', exact: true }).click();
    await page.waitForTimeout(100);
  }
  expect(await bodies.first().textContent()).toContain('"text": "hello"');
  await api('mutation($input: MessageInput!) { broadcastMessage(input: $input) }', {
    domain: 'chat',
    channel: 'general',
    type: 'text',
    body: { text: 'from another client' },
  });
  await expect_(async () => (await bodies.first().textContent())?.includes('from another client'), true);
  await saveScreenshot(page, 'console-peers');

  await page.goto(`${server.url}/console/cache`);
  await page.getByLabel('Value (any JSON, for Set)').fill('{"n": 1}');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect_(() => page.getByRole('status').textContent(), 'Set; it never expires.');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect_(async () => (await page.getByTestId('cache-entry').textContent())?.includes('"n": 1'), true);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect_(() => page.getByRole('status').textContent(), 'Deleted.');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect_(() => page.getByRole('alert').getAttribute('data-code'), 'NOT_FOUND');

  await page.goto(`${server.url}/console/mutex`);
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  const lease = page.getByTestId('lease');
  await expect_(async () => oneLine(await lease.textContent()).includes('jobs/nightly-report'), true);
  expect(oneLine(await lease.textContent())).toMatch(/Fencing number\d+Expires.*s left/);
  // Held: a second lock (another holder, here the same page without its token) is refused.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await expect_(() => page.getByRole('alert').getAttribute('data-code'), 'ALREADY_EXISTS');
  await page.getByRole('button', { name: /^Unlock/ }).click();
  await expect_(() => page.getByRole('status').textContent(), 'Unlocked.');
  expect(await lease.count()).toBe(0);
  await saveScreenshot(page, 'console-mutex');
});

it('is usable from the keyboard and on a phone-sized screen', async () => {
  await page.goto(`${server.url}/console/`);
  await page.locator('table.types').waitFor();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  // Tab to the "user" link and follow it with Enter.
  await page.locator('a[href="/console/entities/accounting/user"]').focus();
  await page.keyboard.press('Enter');
  await expect_(() => page.locator('table.entities tbody tr td:first-child').first().textContent(), 'alice');
  expect(new URL(page.url()).pathname).toBe('/console/entities/accounting/user');

  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.url}/console/entity/accounting/user/alice`);
  await phone.getByTestId('current-version').waitFor();
  // Nothing wider than the screen: wide tables scroll inside their own box.
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await saveScreenshot(phone, 'console-phone-entity');
  await phone.close();
});

it('serves its files with their types under a strict CSP, and index.html for any console path', async () => {
  const index = await fetch(`${server.url}/console/entity/a/b/c`);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(index.headers.get('x-content-type-options')).toBe('nosniff');
  const csp = index.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toMatch(/https?:/);
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
  const js = await fetch(`${server.url}${script}`);
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(js.headers.get('cache-control')).toContain('immutable');
  expect((await fetch(`${server.url}/console/assets/missing.js`)).status).toBe(404);
  expect((await fetch(`${server.url}/console/`, { method: 'POST' })).status).toBe(405);
});

/** One line of a row's text (cells are tab-separated in innerText). */
function oneLine(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Reads `probe` until it equals `want` (the page renders asynchronously), then returns; fails with the last
 * reading after 20 s.
 */
async function expect_<T>(probe: () => Promise<T>, want: unknown): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      expect(last).toEqual(want);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
