import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Uncaught exceptions and console errors (failed requests, CSP refusals) seen in the page. */
  pageErrors: string[];
  /** The path of every script the page loaded, in order. */
  scripts: string[];
}

/** Debian's Chromium, headless, with one page that records what went wrong in it. */
export async function openBrowser(): Promise<BrowserSession> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  const session: BrowserSession = { browser, page, pageErrors: [], scripts: [] };
  page.on('pageerror', (error) => session.pageErrors.push(String(error)));
  page.on('request', (request) => {
    if (request.resourceType() === 'script') session.scripts.push(new URL(request.url()).pathname);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') session.pageErrors.push(`${message.text()} ${message.location().url}`);
  });
  return session;
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });

/** A failed step leaves a picture of the page behind, which says more than a selector timeout. */
export async function screenshotIfFailed(page: Page | undefined, task: { name: string; result?: { state: string } }) {
  if (task.result?.state === 'fail') await page?.screenshot({ path: `${SCREENSHOTS}/failed-${task.name.replace(/\W+/g, '-')}.png`, fullPage: true });
}

export async function logIn(page: Page, username: string, password: string) {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** A browser on the admin app, signed in as the server's admin and past the first page after login (the dashboard). */
export async function openAdminApp(server: { url: string; adminUsername: string; adminPassword: string }): Promise<BrowserSession> {
  const session = await openBrowser();
  await session.page.goto(`${server.url}/admin/`);
  await logIn(session.page, server.adminUsername, server.adminPassword);
  await session.page.getByTestId('total-images').waitFor();
  return session;
}
