/**
 * The console's trigger pages in a real browser (Debian's chromium, headless, through playwright-core) against
 * `node dist/main.js` with STATEGATE_TRIGGERS_ALLOW_PRIVATE=true and a webhook receiver on loopback (signatures
 * verified with `standardwebhooks`), every request to anything but the server aborted. A trigger is created in
 * the page; entities written through the API make one event fail (503 with a long Retry-After: it stays the
 * oldest pending event) and another dead-letter after maxAttempts; the page's own refresh shows the cursor,
 * lag, attempts, last error and the dead letter; Replay sends it again, Delete removes the trigger. A creation
 * the server refuses shows its message and creates nothing, as does a private target on a second server without
 * STATEGATE_TRIGGERS_ALLOW_PRIVATE; a policy that denies triggers reads as a clean note (a third server).
 * Screenshots: .tmp/screenshots/console-trigger*.png.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { blockOtherOrigins, type LaunchedBrowser, launchBrowser, saveScreenshot } from '../support/browser.js';
import { errorCode, gql } from '../support/graphql.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';
import { newSecret, type Receiver, setEntity, startReceiver, waitUntil } from './trigger-helpers.js';

const LIST = 'query { listTriggers(input: {}) { name url } }';
const GET = 'query($input: TriggerRefInput!) { getTrigger(input: $input) { name } }';

let browser: LaunchedBrowser;
let server: StoredServerProcess;
let receiver: Receiver;
let context: BrowserContext;
let page: Page;
let blocked: string[];
const pageErrors: string[] = [];
/** The receiver acknowledges events of `shop/order/dead` only once this is set. */
let accepting = false;

const api = <T>(query: string, variables?: Record<string, unknown>) =>
  gql<T>(`${server.url}/api/graphql`, query, variables);
const triggerNames = async () =>
  ((await api<{ listTriggers: { name: string }[] }>(LIST)).data?.listTriggers ?? []).map((t) => t.name);

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0', STATEGATE_TRIGGERS_ALLOW_PRIVATE: 'true' });
  receiver = await startReceiver(newSecret());
  receiver.answer = (delivery) => {
    // Asks for a retry in 10 minutes: the event stays pending, so the status shows its attempts and error.
    if (delivery.key === 'stuck') return { status: 503, headers: { 'retry-after': '600' }, body: 'stuck on purpose' };
    return accepting ? { status: 204 } : { status: 500, body: 'failing on purpose' };
  };
  browser = await launchBrowser();
  context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
  blocked = await blockOtherOrigins(context, server.url);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  await receiver?.stop();
});

afterEach(() => {
  // No request left the machine, the CSP refused nothing, and the page threw nothing.
  expect(blocked).toEqual([]);
  expect(pageErrors).toEqual([]);
});

/** A field of the create form by the start of its label (the label ends with the field's hint). */
const field = (label: string) => page.getByLabel(new RegExp(`^${label}`));

async function fillForm(fields: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(fields)) await field(label).fill(value);
}

it('shows the empty state, and a creation the server refuses shows its message and creates nothing', async () => {
  await page.goto(`${server.url}/console/`);
  await page.getByRole('link', { name: 'Triggers', exact: true }).click();
  expect(new URL(page.url()).pathname).toBe('/console/triggers');
  await expect_(async () => oneLine(await page.getByRole('status').first().textContent()), NO_TRIGGERS);
  expect(await page.getByRole('link', { name: 'Triggers', exact: true }).getAttribute('aria-current')).toBe('page');

  await fillForm({
    Name: 'refused',
    URL: 'http://user:pw@127.0.0.1:9/hook', // credentials in a URL are refused: they would show in answers
    'Domain glob': 'shop',
    'Type glob': 'order',
    Secret: newSecret(),
  });
  await page.getByRole('button', { name: 'Create trigger' }).click();
  const alert = page.getByRole('alert');
  await expect_(() => alert.getAttribute('data-code'), 'INVALID_ARGUMENT');
  expect(oneLine(await alert.textContent())).toContain('trigger url must not carry credentials');
  expect(oneLine(await alert.textContent())).toContain('The trigger was not created');
  expect(await triggerNames()).toEqual([]);
  // The form keeps what was typed, to fix and send again.
  expect(await field('Name').inputValue()).toBe('refused');
  await saveScreenshot(page, 'console-triggers-refused');
});

it('creates a trigger from the page; its status shows attempts, last error, lag and a dead letter as they happen', async () => {
  await page.goto(`${server.url}/console/triggers`);
  await page.getByRole('button', { name: 'Generate a secret' }).click();
  expect(await field('Secret').inputValue()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await fillForm({
    Name: 'orders',
    URL: `${receiver.url}?code=function-key`,
    'Domain glob': 'shop',
    'Type glob': 'order',
    Secret: receiver.secret,
    'Max attempts': '2',
  });
  await page.getByRole('button', { name: 'Create trigger' }).click();
  await expect_(
    async () => oneLine(await page.getByRole('status').first().textContent()),
    expect.stringContaining('Created orders. Its secret is not shown again'),
  );
  // Write-only: the field is cleared and the secret is nowhere in the page; the URL's query value is masked.
  expect(await field('Secret').inputValue()).toBe('');
  const row = page.locator('table.triggers tr[data-trigger="orders"]');
  await expect_(
    () => cellsOf(row),
    expect.stringMatching(/^orders http:\/\/127\.0\.0\.1:\d+\/hook\?code=\*\*\* shop \/ order \/ \* \d+ 0 0 — 0$/),
  );
  expect(await row.textContent()).not.toContain('function-key');
  expect(await page.content()).not.toContain(receiver.secret.slice('whsec_'.length));
  expect(await triggerNames()).toEqual(['orders']);

  await row.getByRole('link', { name: 'orders' }).click();
  await page.getByTestId('trigger-status').waitFor();
  expect(await page.getByTestId('status-dead-letters').textContent()).toBe('0');
  // Written by another client while the page is open: its own refresh shows what happens.
  await setEntity(server.url, 'shop', 'order', 'stuck', { n: 1 });
  await setEntity(server.url, 'shop', 'order', 'dead', { n: 1 });
  await expect_(() => page.getByTestId('status-dead-letters').textContent(), '1');
  const stuck = receiver.attempts.find((a) => a.key === 'stuck')!;
  const dead = receiver.attempts.find((a) => a.key === 'dead')!;
  expect(receiver.attempts.filter((a) => a.key === 'dead')).toHaveLength(2); // maxAttempts
  // The cursor waits just below the oldest pending event (stuck); both events are after it.
  await expect_(() => page.getByTestId('status-position').textContent(), String(stuck.position - 1));
  expect(await page.getByTestId('status-lag').textContent()).toBe('2 log positions after the cursor');
  expect(await page.getByTestId('status-attempts').textContent()).toBe('1 failed, oldest pending event');
  expect(await page.getByTestId('status-last-error').textContent()).toBe('HTTP 503: stuck on purpose');
  const letter = page.locator(`table.dead-letters tr[data-event="${dead.id}"]`);
  expect(await cellsOf(letter)).toMatch(
    new RegExp(`^${dead.position} ${dead.id} shop/order/dead 2 HTTP 500: failing on purpose .+ Replay$`),
  );
  expect(await letter.getByRole('link').getAttribute('href')).toBe('/console/entity/shop/order/dead');
  await saveScreenshot(page, 'console-trigger-dead-letter');

  // The list shows the same status.
  await page.getByRole('link', { name: 'Triggers', exact: true }).first().click();
  await expect_(
    () => cellsOf(row),
    expect.stringContaining(`shop / order / * ${stuck.position - 1} 2 1 HTTP 503: stuck on purpose 1`),
  );
  await saveScreenshot(page, 'console-triggers');
});

it('replays a dead letter from the page (the receiver gets it) and deletes the trigger from the keyboard', async () => {
  await page.goto(`${server.url}/console/trigger/orders`);
  const dead = receiver.attempts.find((a) => a.key === 'dead')!;
  const replay = page.getByRole('button', { name: `Replay the event at position ${dead.position}` });
  await replay.waitFor();
  accepting = true;
  await replay.focus();
  await page.keyboard.press('Enter');
  await expect_(
    () => page.evaluate(() => document.activeElement?.textContent),
    '1 dead letter marked for sending again (each with 2 more attempts).',
  );
  await waitUntil('the replayed delivery', () => receiver.deliveries.some((d) => d.id === dead.id), 30_000);
  await expect_(() => page.getByTestId('status-dead-letters').textContent(), '0');
  expect(await page.getByText('No dead letters').count()).toBe(1);
  // The stuck event still holds the cursor back.
  expect(await page.getByTestId('status-attempts').textContent()).toBe('1 failed, oldest pending event');

  // Delete: Enter asks, focus moves to the confirmation; Escape backs out to Delete…; Enter, Enter deletes.
  await page.getByRole('button', { name: 'Delete…' }).focus();
  await page.keyboard.press('Enter');
  const confirmText = 'Delete orders, its cursor and dead letters';
  await expect_(() => page.evaluate(() => document.activeElement?.textContent), confirmText);
  await page.keyboard.press('Escape');
  await expect_(() => page.evaluate(() => document.activeElement?.textContent), 'Delete…');
  expect(await triggerNames()).toEqual(['orders']);
  await page.keyboard.press('Enter');
  await expect_(() => page.evaluate(() => document.activeElement?.textContent), confirmText);
  await page.keyboard.press('Enter');
  await expect_(() => page.evaluate(() => document.activeElement?.textContent), 'Back to the triggers');
  expect(oneLine(await page.getByRole('status').textContent())).toContain('Deleted, with its cursor and dead letters.');
  expect(await triggerNames()).toEqual([]);
  expect(errorCode(await api(GET, { input: { name: 'orders' } }))).toBe('NOT_FOUND');
  await page.keyboard.press('Enter');
  await expect_(async () => oneLine(await page.getByRole('status').first().textContent()), NO_TRIGGERS);
  // A trigger page for a name that does not exist says so.
  await page.goto(`${server.url}/console/trigger/orders`);
  await expect_(() => page.getByRole('alert').getAttribute('data-code'), 'NOT_FOUND');
});

it('refuses a private target unless STATEGATE_TRIGGERS_ALLOW_PRIVATE=true, with the reason in the page', async () => {
  const strict = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0' });
  const strictContext = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const strictBlocked = await blockOtherOrigins(strictContext, strict.url);
    const strictPage = await strictContext.newPage();
    await strictPage.goto(`${strict.url}/console/triggers`);
    for (const [label, value] of Object.entries({
      Name: 'private',
      URL: receiver.url,
      'Domain glob': 'shop',
      'Type glob': 'order',
      Secret: newSecret(),
    })) {
      await strictPage.getByLabel(new RegExp(`^${label}`)).fill(value);
    }
    await strictPage.getByRole('button', { name: 'Create trigger' }).click();
    const alert = strictPage.getByRole('alert');
    await expect_(() => alert.getAttribute('data-code'), 'INVALID_ARGUMENT');
    expect(oneLine(await alert.textContent())).toContain('set STATEGATE_TRIGGERS_ALLOW_PRIVATE=true');
    const listed = await gql<{ listTriggers: unknown[] }>(`${strict.url}/api/graphql`, LIST);
    expect(listed.data?.listTriggers).toEqual([]);
    expect(strictBlocked).toEqual([]);
  } finally {
    await strictContext.close();
    await strict.close();
  }
});

it('reads a policy that denies triggers as a clean "not allowed by policy" note', async () => {
  const policy = `package stategate.authz
default allow := false
allow if not startswith(input.method, "/stategate.TriggerService/")
`;
  const guarded = await spawnStoredServer({
    STATEGATE_METRICS_PORT: '0',
    STATEGATE_REQUEST_POLICY: Buffer.from(policy).toString('base64'),
  });
  const guardedContext = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const guardedBlocked = await blockOtherOrigins(guardedContext, guarded.url);
    const guardedPage = await guardedContext.newPage();
    await guardedPage.goto(`${guarded.url}/console/triggers`);
    const alert = guardedPage.getByRole('alert');
    await expect_(() => alert.getAttribute('data-code'), 'PERMISSION_DENIED');
    expect(oneLine(await alert.textContent())).toContain('Not allowed by policy — Could not list the triggers');
    await saveScreenshot(guardedPage, 'console-triggers-denied');
    expect(guardedBlocked).toEqual([]);
  } finally {
    await guardedContext.close();
    await guarded.close();
  }
});

it('is readable on a phone-sized screen', async () => {
  const secret = newSecret();
  const created = await api('mutation($input: TriggerInput!) { createTrigger(input: $input) { name } }', {
    input: { name: 'phone', url: receiver.url, domain: 'shop', type: 'invoice', secret },
  });
  expect(created.errors).toBeUndefined();
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/console/triggers', '/console/trigger/phone']) {
    await phone.goto(`${server.url}${path}`);
    await phone.locator('table.triggers, [data-testid="trigger-status"]').first().waitFor();
    // Nothing wider than the screen: wide tables scroll inside their own box.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }
  await saveScreenshot(phone, 'console-trigger-phone');
  await phone.close();
});

const NO_TRIGGERS = 'No triggers yet — declare them in STATEGATE_TRIGGERS or create one here (below).';

/** A table row's cells, each as one line, joined by spaces. */
async function cellsOf(row: Locator): Promise<string> {
  return (await row.locator('td').allTextContents()).map(oneLine).join(' ');
}

/** One line of an element's text. */
function oneLine(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Reads `probe` until it equals `want` (the page renders and refreshes asynchronously), then returns; fails
 * with the last reading after 20 s.
 */
async function expect_<T>(probe: () => Promise<T>, want: unknown): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      expect(await probe()).toEqual(want);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
