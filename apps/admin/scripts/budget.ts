/**
 * The console's weight and speed: the gzipped JavaScript of the first load (the sign-in page)
 * and of the users page, and the time to interactive of the users page with 500 users, in
 * headless Chromium against the real server. Prints the figures and writes them to
 * test-output/budget.json; asserts nothing.
 *
 *   pnpm --filter @roster/admin budget        (MONGODB_URI selects a database, else an embedded one)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRosterClient } from '@roster/client';
import { startEmbeddedMongo } from '@roster/embedded-mongo';
import { makeUser, startTestServer } from '@roster/server/testing';
import type { Browser, Page } from 'playwright-core';
import { adminDist, adminRoot, ensureBuilt, ensureChromium, launchChromium, seedDirectory } from './harness';

const USERS = 500;
const RUNS = 5;

interface Asset {
  url: string;
  bytes: number;
  gzipBytes: number;
}

/** Every script and stylesheet a navigation loads, with its size as sent and gzipped. */
function recordAssets(page: Page) {
  const assets: { js: Asset[]; css: Asset[] } = { js: [], css: [] };
  const pending: Promise<void>[] = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    pending.push(
      res.body().then((body) => {
        const asset = {
          url: new URL(res.url()).pathname,
          bytes: body.length,
          gzipBytes: gzipSync(body).length,
        };
        (type === 'script' ? assets.js : assets.css).push(asset);
      }),
    );
  });
  return async () => {
    await Promise.all(pending);
    const sum = (list: Asset[], key: 'bytes' | 'gzipBytes') => list.reduce((n, a) => n + a[key], 0);
    return {
      jsFiles: assets.js.map((a) => a.url).sort(),
      jsBytes: sum(assets.js, 'bytes'),
      jsGzipBytes: sum(assets.js, 'gzipBytes'),
      cssBytes: sum(assets.css, 'bytes'),
      cssGzipBytes: sum(assets.css, 'gzipBytes'),
    };
  };
}

/** Long tasks and the moment the users table first holds a full page of rows, recorded in the page. */
const INSTRUMENT = `
  window.__budget = { longTasks: [], rowsAt: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__budget.longTasks.push([e.startTime, e.startTime + e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver((_, observer) => {
    const table = document.querySelector('[data-testid=users-table][aria-busy=false]');
    if (table && table.querySelectorAll('tbody tr').length >= 50) {
      window.__budget.rowsAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });
`;

/**
 * Time to interactive, as Lighthouse defines it in spirit: the later of "the first page of rows is
 * on screen" and the end of the last long task (> 50 ms) before a quiet second.
 */
async function usersPageLoad(browser: Browser, url: string, cookies: Parameters<Browser['newContext']>[0]) {
  const context = await browser.newContext(cookies);
  const page = await context.newPage();
  await page.addInitScript(INSTRUMENT);
  const assets = recordAssets(page);
  await page.goto(`${url}/users`);
  await page.waitForFunction(
    () => (window as unknown as { __budget: { rowsAt: number | null } }).__budget.rowsAt !== null,
    null,
    {
      timeout: 30_000,
    },
  );
  await page.waitForTimeout(1000);
  const timing = await page.evaluate(() => {
    const b = (window as unknown as { __budget: { longTasks: [number, number][]; rowsAt: number } }).__budget;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
    const lastLongTaskEnd = Math.max(0, ...b.longTasks.map(([, end]) => end));
    return {
      firstContentfulPaintMs: fcp,
      domContentLoadedMs: nav.domContentLoadedEventEnd,
      rowsRenderedMs: b.rowsAt,
      longTasks: b.longTasks.length,
      timeToInteractiveMs: Math.max(b.rowsAt, lastLongTaskEnd),
    };
  });
  // How fast the page answers a search once loaded: type, and wait for the narrowed table.
  const started = Date.now();
  await page.getByRole('searchbox', { name: 'Search' }).fill('member042');
  await page.waitForFunction(
    () =>
      document.querySelector('[data-testid=users-table][aria-busy=false]')?.querySelectorAll('tbody tr')
        .length === 10,
  );
  const searchMs = Date.now() - started;
  const loaded = await assets();
  await context.close();
  return { ...timing, searchToRowsMs: searchMs, ...loaded };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main() {
  ensureChromium();
  ensureBuilt((line) => console.error(line));
  // The database: MONGODB_URI as the test harness reads it, else an embedded in-memory one.
  const db = process.env.MONGODB_URI ? null : await startEmbeddedMongo({ inMemory: true });
  const server = await startTestServer({ uri: process.env.MONGODB_URI ?? db!.uri, config: { adminDist } });
  const browser = await launchChromium();
  try {
    const admin = await makeUser(server.deps, { admin: true, username: 'budgetadmin' });
    await seedDirectory(createRosterClient({ url: server.url, token: admin.token }), USERS);

    // First load: a visitor with an empty cache opens the console and gets the sign-in page.
    const visitor = await browser.newContext();
    const page = await visitor.newPage();
    const firstLoadAssets = recordAssets(page);
    const t0 = Date.now();
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const signInVisibleMs = Date.now() - t0;
    const firstLoad = { signInVisibleMs, ...(await firstLoadAssets()) };

    // Sign in once, then open /users in fresh contexts (empty HTTP cache) holding that session.
    await page.getByLabel('Username or email').fill(admin.username);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const state = await visitor.storageState();
    await visitor.close();
    const runs = [];
    for (let i = 0; i < RUNS; i++)
      runs.push(await usersPageLoad(browser, server.url, { storageState: state }));

    const result = {
      measuredAt: new Date().toISOString(),
      chromium: browser.version(),
      users: USERS + 3,
      note: 'gzip sizes are computed here with zlib defaults, as the server sends /assets (compression middleware)',
      firstLoad,
      usersPage: {
        runs: RUNS,
        medianTimeToInteractiveMs: median(runs.map((r) => r.timeToInteractiveMs)),
        medianRowsRenderedMs: median(runs.map((r) => r.rowsRenderedMs)),
        medianFirstContentfulPaintMs: median(runs.map((r) => r.firstContentfulPaintMs ?? 0)),
        medianSearchToRowsMs: median(runs.map((r) => r.searchToRowsMs)),
        jsFiles: runs[0]!.jsFiles,
        jsGzipBytes: runs[0]!.jsGzipBytes,
        cssGzipBytes: runs[0]!.cssGzipBytes,
        each: runs,
      },
    };
    const out = path.join(adminRoot, 'test-output');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'budget.json'), `${JSON.stringify(result, null, 2)}\n`);

    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log(
      `first load (sign-in page): JS ${kb(firstLoad.jsGzipBytes)} gzipped (${kb(firstLoad.jsBytes)} raw, ${firstLoad.jsFiles.length} files), CSS ${kb(firstLoad.cssGzipBytes)} gzipped; visible in ${signInVisibleMs} ms`,
    );
    console.log(
      `users page (${result.users} users): JS ${kb(result.usersPage.jsGzipBytes)} gzipped; median of ${RUNS} cold loads: rows at ${result.usersPage.medianRowsRenderedMs.toFixed(0)} ms, interactive at ${result.usersPage.medianTimeToInteractiveMs.toFixed(0)} ms, a search answers in ${result.usersPage.medianSearchToRowsMs} ms`,
    );
    console.log(`written to ${path.relative(process.cwd(), path.join(out, 'budget.json'))}`);
  } finally {
    await browser.close();
    await server.close();
    await db?.stop();
  }
}

await main();
