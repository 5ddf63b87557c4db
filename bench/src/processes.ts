import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SERVER_MAIN = fileURLToPath(new URL('../../apps/server/dist/main.js', import.meta.url));
const SERVER_CLI = fileURLToPath(new URL('../../apps/server/dist/cli.js', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./servers/bare-server.ts', import.meta.url));
const BETTER_AUTH_SERVER = fileURLToPath(new URL('./servers/better-auth-server.ts', import.meta.url));

export interface Child {
  pid: number;
  url: string;
  /** Resident set size in bytes, from /proc (Linux) or ps. */
  rss(): number | null;
  stop(): Promise<void>;
}

/** Resident set size of a process in bytes, or null if it cannot be read. */
export function rssOf(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: ask ps
  }
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isFinite(kb) && kb > 0 ? kb * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a running process in bytes (VmHWM, Linux), else its current RSS. */
export function peakRssOf(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux, or it has exited
  }
  return rssOf(pid);
}

/** Children still running: killed if bench exits early (an error, Ctrl-C), so none outlives it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n[bench] ${signal}: stopping\n`);
    process.exit(code);
  });
}

/**
 * CPU seconds (user + system) a process has used so far, or one of its threads (`tid`), from
 * /proc; null elsewhere.
 */
export function cpuSecondsOf(pid: number, tid?: number): number | null {
  try {
    const stat = readFileSync(
      tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
      'utf8',
    );
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}
/**
 * CPU seconds (user + system) used by this process's children that have exited and been
 * reaped (cutime + cstime of /proc/self/stat); null elsewhere. The difference across one
 * child's run is that child's CPU, read exactly once it is gone.
 */
export function exitedChildrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** Starts a child and resolves once a line of its output gives its URL; rejects if it exits first. */
function launch(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  urlFrom: (line: string) => string | undefined,
  opts: { discardStdout?: boolean } = {},
): Promise<Child> {
  const timeoutMs = 120_000;
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  live.add(child);
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${tail.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      tail.push(`  | ${line}`);
      if (tail.length > 40) tail.shift();
      const url = urlFrom(line);
      if (!url) return;
      clearTimeout(timer);
      const pid = child.pid!;
      resolve({
        pid,
        url,
        rss: () => rssOf(pid),
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(force);
        },
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
    }
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${child.exitCode ?? child.signalCode}):\n${tail.join('\n')}`));
    });
  });
}

export const BENCH_ADMIN = {
  username: 'benchadmin',
  password: 'bench-admin-password',
  email: 'benchadmin@example.com',
};

/**
 * The built Roster server (`node apps/server/dist/main.js`, as `pnpm start` runs it), on the
 * given database, with its production defaults except where a benchmark from one address needs
 * otherwise (see README.md).
 */
export function startRoster(opts: { uri: string; dbName: string; env?: Record<string, string> }) {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(
      `${SERVER_MAIN} is missing: build the server first (pnpm bench does: turbo run build --filter=@roster/server...)`,
    );
  }
  return launch(
    'Roster',
    process.execPath,
    [SERVER_MAIN],
    {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      MONGODB_URI: opts.uri,
      ROSTER_DB_NAME: opts.dbName,
      ROSTER_BOOTSTRAP_ADMIN_USERNAME: BENCH_ADMIN.username,
      ROSTER_BOOTSTRAP_ADMIN_PASSWORD: BENCH_ADMIN.password,
      ROSTER_BOOTSTRAP_ADMIN_EMAIL: BENCH_ADMIN.email,
      // Every request of the bench comes from 127.0.0.1: the per-address limit would measure itself.
      ROSTER_RATE_LIMIT_PER_MINUTE: '0',
      ...opts.env,
    },
    (line) => /serving at (http:\/\/\S+)/.exec(line)?.[1],
    // Roster logs every request as JSON on stdout (pino at info): to /dev/null, the cheapest sink.
    { discardStdout: true },
  );
}

export interface CliRun {
  /** Exit code (null if killed by a signal). */
  code: number | null;
  stdout: string;
  /** The last lines of its stderr. */
  stderr: string;
  wallSeconds: number;
  /** CPU seconds of the CLI process, or null off Linux (or if another child exited meanwhile). */
  cpuSeconds: number | null;
  /** Its peak resident set size in bytes, polled while it ran. */
  peakRss: number | null;
}

/**
 * Runs the built `roster` CLI (`node apps/server/dist/cli.js …args`, its bin) to the end, with
 * the given environment over the bench's, polling its peak RSS every `pollMs` (and calling
 * `onPoll`, e.g. for a progress bar). Killed after `timeoutMs`.
 */
export function runRosterCli(
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs: number; pollMs?: number; onPoll?: () => void },
): Promise<CliRun> {
  if (!existsSync(SERVER_CLI)) {
    return Promise.reject(
      new Error(
        `${SERVER_CLI} is missing: build the server first (pnpm bench does: turbo run build --filter=@roster/server...)`,
      ),
    );
  }
  const cpu0 = exitedChildrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(process.execPath, [SERVER_CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  const errTail: string[] = [];
  let errBuffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errBuffered += chunk;
    const lines = errBuffered.split('\n');
    errBuffered = lines.pop()!;
    errTail.push(...lines);
    errTail.splice(0, Math.max(0, errTail.length - 40));
  });
  let peakRss: number | null = null;
  const poll = () => {
    if (child.pid !== undefined && child.exitCode === null) {
      const rss = peakRssOf(child.pid);
      if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss);
    }
    opts.onPoll?.();
  };
  const poller = setInterval(poll, opts.pollMs ?? 250);
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearInterval(poller);
      clearTimeout(killer);
      live.delete(child);
      reject(err);
    });
    child.once('close', (code) => {
      clearInterval(poller);
      clearTimeout(killer);
      live.delete(child);
      const cpu1 = exitedChildrenCpuSeconds();
      if (errBuffered) errTail.push(errBuffered);
      resolve({
        code,
        stdout,
        stderr: errTail.join('\n'),
        wallSeconds: (performance.now() - t0) / 1000,
        cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
        peakRss,
      });
    });
  });
}

/** Runs a TypeScript file of this package as a child process, through tsx. */
const tsxArgs = (file: string) => ['--import', 'tsx', file];

/**
 * A bare `node:http` server answering fixed JSON bodies by path: the ceiling for a Node process
 * here. The same process serves the same bodies through Express alone at `expressUrl`.
 */
export async function startBare(bodies: Record<string, string>) {
  let expressUrl = '';
  const child = await launch(
    'bare node:http server',
    process.execPath,
    tsxArgs(BARE_SERVER),
    { BENCH_BARE_BODIES: JSON.stringify(bodies) },
    (line) => {
      const ports = /^LISTENING (\d+) (\d+)$/.exec(line);
      if (!ports) return undefined;
      expressUrl = `http://127.0.0.1:${ports[2]}`;
      return `http://127.0.0.1:${ports[1]}`;
    },
  );
  return { ...child, expressUrl };
}

/** Better Auth on its MongoDB adapter (src/servers/better-auth-server.ts). */
export function startBetterAuth(opts: { uri: string; dbName: string; argon2: Record<string, number> }) {
  return launch(
    'Better Auth',
    process.execPath,
    tsxArgs(BETTER_AUTH_SERVER),
    {
      NODE_ENV: 'production',
      MONGODB_URI: opts.uri,
      BENCH_PEER_DB: opts.dbName,
      BENCH_ARGON2_MEMORY_KIB: String(opts.argon2.memoryCost),
      BENCH_ARGON2_TIME_COST: String(opts.argon2.timeCost),
      BENCH_ARGON2_PARALLELISM: String(opts.argon2.parallelism),
    },
    (line) => {
      const port = /^LISTENING (\d+)$/.exec(line)?.[1];
      return port ? `http://127.0.0.1:${port}` : undefined;
    },
  );
}
