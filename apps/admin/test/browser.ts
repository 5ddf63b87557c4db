import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { adminRoot } from '../scripts/harness';

export const outputDir = path.join(adminRoot, 'test-output');

/** Saves a full-page screenshot of a main screen under test-output/. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: path.join(outputDir, `${name}.png`), fullPage: true });
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
