import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RosterClient } from '@roster/client';
import { type Browser, chromium } from 'playwright-core';

/** apps/admin */
export const adminRoot = fileURLToPath(new URL('..', import.meta.url));
export const adminDist = path.join(adminRoot, 'dist');

/** What the bundle is made of: the console's sources and the workspace packages it imports. */
const INPUTS = [
  'src',
  'index.html',
  'vite.config.ts',
  'package.json',
  '../../packages/contracts/src',
  '../../packages/client/src',
];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** Builds the console with Vite unless dist/ is newer than every input. Returns whether it built. */
export function ensureBuilt(log: (line: string) => void = () => {}): boolean {
  const built = path.join(adminDist, 'index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const inputsAt = Math.max(...INPUTS.map((p) => newestMtime(path.join(adminRoot, p))));
  if (builtAt > inputsAt) return false;
  log(builtAt ? 'admin console: dist/ is older than its sources; building' : 'admin console: building dist/');
  const vite = path.join(
    path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
    'bin/vite.js',
  );
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build: the
  // tests and the budget must see the production bundle the server serves.
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: adminRoot,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return true;
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's Chromium when it is missing (see ensure-chromium.sh). */
export function ensureChromium() {
  execFileSync('bash', [path.join(adminRoot, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
}

/** Debian's Chromium, driven by playwright-core (no browser download of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Fills the directory through the API in parallel batches, with users without passwords (no hashing). */
export async function seedDirectory(api: RosterClient, count: number, batch = 25) {
  const names = Array.from({ length: count }, (_, i) => `member${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += batch) {
    await Promise.all(
      names.slice(i, i + batch).map((username, j) =>
        api.users.create.mutate({
          username,
          email: `${username}@example.org`,
          firstName: ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara'][(i + j) % 5],
          lastName: `Tester${i + j}`,
        }),
      ),
    );
  }
}
