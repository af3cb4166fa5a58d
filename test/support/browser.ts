/**
 * A real browser for the browser tests: Debian's chromium (scripts/install-tools.sh installs it) driven headless
 * by playwright-core, so nothing is downloaded. Launch flags keep chromium's own background traffic off.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = '.tmp/screenshots';

/** Chromium's own background traffic (updates, sync, QUIC probes) off, so every request seen is the page's. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedBrowser {
  browser: Browser;
  /** A first browser context (1280×800 unless asked otherwise); `browser.newContext()` makes more, each isolated. */
  context: BrowserContext;
  /** Closes the browser (Playwright then deletes its profile). */
  close(): Promise<void>;
}

/**
 * Starts headless chromium. Playwright runs it on a fresh temporary profile (its own `--user-data-dir`, made
 * per launch and deleted on close; it refuses that flag in `args`), so no earlier run's storage leaks in.
 */
export async function launchBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  return { browser, context, close: () => browser.close() };
}

/**
 * Lets through only requests (HTTP and WebSocket) to `origin` (e.g. the test server's `http://127.0.0.1:PORT`)
 * and in-page `data:`/`blob:` URLs; aborts every other one and returns the list of the URLs it blocked, which
 * grows as the page runs. A test asserts it stays empty to prove the page needs nothing from the internet.
 */
export async function blockOtherOrigins(context: BrowserContext, origin: string): Promise<string[]> {
  const allowed = new URL(origin);
  const wsOrigin = `${allowed.protocol === 'https:' ? 'wss:' : 'ws:'}//${allowed.host}`;
  const blocked: string[] = [];
  const isLocal = (url: string) =>
    url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === allowed.origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(
    (url) => url.origin !== wsOrigin,
    (ws) => {
      blocked.push(ws.url());
      return ws.close();
    },
  );
  return blocked;
}

/** Saves a full-page PNG as `.tmp/screenshots/NAME.png` (CI keeps that folder as an artifact); returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
