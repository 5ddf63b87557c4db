import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const SERVER_DIR = path.resolve(import.meta.dirname, '..');
const TSUP = path.join(SERVER_DIR, 'node_modules/.bin/tsup');
export const ADMIN = { username: 'opsadmin', password: 'ops admin password', email: 'ops@example.com' };
const children: ChildProcess[] = [];
/** Builds the server, to run it exactly as `pnpm start` does (tsx would not pass SIGTERM to a late handler). */
export function buildServer() {
  const build = spawnSync(TSUP, [], { cwd: SERVER_DIR, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
}

/** Kills every server this file started. */
export function stopServers() {
  for (const c of children) c.kill('SIGKILL');
}

/** Runs the real server (src/main.ts) as a child process and waits until it serves. */
export async function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: SERVER_DIR,
    env: {
      ...process.env,
      PORT: '0',
      ROSTER_LOG_LEVEL: 'warn',
      ROSTER_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      ROSTER_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ROSTER_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      ROSTER_ARGON2_MEMORY_KIB: '4096',
      ROSTER_ARGON2_TIME_COST: '1',
      ROSTER_RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /serving at (http:\/\/[\d.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`server exited:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

export async function call(url: string, proc: string, body: unknown, token?: string) {
  const res = await fetch(`${url}/trpc/${proc}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      result?: { data: Record<string, unknown> };
      error?: { data: Record<string, unknown> };
    },
  };
}
export const loginAdmin = async (url: string) =>
  (await call(url, 'auth.login', { login: ADMIN.username, password: ADMIN.password })).body.result!.data
    .token as string;

/** A tRPC query over GET, as the typed client sends it. */
export async function query(url: string, proc: string, input: unknown, token?: string) {
  const res = await fetch(`${url}/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      result?: { data: Record<string, unknown> };
      error?: { data: Record<string, unknown> };
    },
  };
}
