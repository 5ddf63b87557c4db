import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminRoot } from '../scripts/harness';

export const outputDir = path.join(adminRoot, 'test-output');

/** Saves a full-page screenshot of a main screen under test-output/. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  mkdirSync(outputDir, { recursive: true });
  // Transitions end at once, so that a dialog just opened is not caught half faded in.
  await page.screenshot({
    path: path.join(outputDir, `${name}.png`),
    fullPage: opts.fullPage ?? true,
    animations: 'disabled',
  });
}

/** Signs in through the sign-in form and waits for the signed-in header. */
export async function signIn(page: Page, baseUrl: string, login: string, password: string) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user-menu').waitFor();
}

/** Waits for a notification (or any text) to be shown. */
export async function seeText(page: Page, text: string | RegExp) {
  await page.getByText(text).first().waitFor();
}

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

/** Signs in once and returns the cookies, so that later pages start signed in without the form. */
export async function signedInState(browser: Browser, baseUrl: string, login: string, password: string) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signIn(page, baseUrl, login, password);
    return await context.storageState();
  } finally {
    await context.close();
  }
}

/**
 * The pages a test file opens: each in a context of its own, with every script error and console
 * error recorded. `settle` (after each test) screenshots the open pages of a failed test, closes
 * them, and returns the errors seen, which a test expects to be none.
 */
export function pageTracker(browser: () => Browser) {
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  return {
    /** A page in a new context; `storageState` starts it signed in (see `signedInState`). */
    async newPage(storageState?: StorageState): Promise<Page> {
      const context = await browser().newContext({
        viewport: { width: 1280, height: 900 },
        locale: 'en-GB',
        ...(storageState ? { storageState } : {}),
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        // Refused calls (401 while signed out, 400 on bad input) are logged by Chromium itself; they are expected.
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
          errors.push(msg.text());
      });
      return page;
    },
    async settle(task: { name: string; result?: { state?: string } | undefined }): Promise<string[]> {
      // What each open page showed when a test failed, to see why.
      if (task.result?.state === 'fail') {
        let n = 0;
        for (const c of contexts)
          for (const p of c.pages())
            await screenshot(p, `failed-${task.name.slice(0, 40)}-${n++}`).catch(() => {});
      }
      for (const c of contexts.splice(0)) await c.close().catch(() => {});
      return errors.splice(0);
    },
  };
}
