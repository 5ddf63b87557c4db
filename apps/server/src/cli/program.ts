import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Command, CommanderError, Option } from 'commander';
import pino from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import { ConfigError, loadConfig } from '../config';
import { UnsafeDatabaseError } from '../db/connect';
import { ensureIndexes } from '../db/models';
import { createLogger } from '../http/logging';
import { openRuntime } from '../runtime';
import { ensureWellKnownObjects } from '../services/bootstrap';
import type { Deps } from '../services/deps';
import {
  CliError,
  createAdmin,
  generatePassword,
  resetPassword,
  setupAccount,
  unlockUser,
  unsetupAccount,
} from './accounts';
import { exportDirectory, type TransferFormat } from './export';
import { formatOf, type ImportReport, importRecords, readTransferFile } from './import';
import { progressBar } from './progress';
import { readNewPassword } from './secret-input';
import { effectiveConfig, formatConfig } from './show-config';

/** Exit code of an import that rejected rows: the rest was imported. */
export const EXIT_REJECTED_ROWS = 2;

interface Io {
  out: Writable;
  err: Writable;
}

/**
 * Connects the way the server does (runtime.ts), makes sure the indexes and built-in objects
 * exist, runs `work`, and disconnects. Logs go to stderr: stdout may carry an export.
 */
async function withDeps<T>(io: Io, quiet: boolean, work: (deps: Deps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const say = (line: string) => {
    if (!quiet) io.err.write(`[roster] ${line}\n`);
  };
  const runtime = await openRuntime(config, {
    log: say,
    // The services' info lines are about requests; a CLI run shows warnings and worse.
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2)),
  }).catch((err: unknown) => {
    if (!config.mongodbUri && /lock|LISTENING|exited/i.test(String((err as Error)?.message))) {
      throw new CliError(
        `${(err as Error).message}\n  A server running on ${config.dataDir} holds its embedded database: point MONGODB_URI at that server's database (it prints its address at start), or stop the server.`,
      );
    }
    throw err;
  });
  try {
    await ensureIndexes(runtime.deps.models);
    await ensureWellKnownObjects(runtime.deps);
    return await work(runtime.deps);
  } finally {
    await runtime.close();
  }
}

export function formatReport(report: ImportReport, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? 50;
  const lines = [
    `${report.created} created, ${report.skipped} skipped, ${report.rejected} rejected in ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  for (const [type, t] of Object.entries(report.byType)) {
    if (t.created + t.skipped + t.rejected)
      lines.push(`  ${type}: ${t.created} created, ${t.skipped} skipped, ${t.rejected} rejected`);
  }
  for (const p of report.problems.slice(0, limit)) {
    lines.push(
      `  line ${p.line}: ${p.outcome} ${p.type}${p.subject ? ` ${p.subject}` : ''}: ${p.reason ?? ''}`,
    );
  }
  if (report.problems.length > limit) {
    lines.push(`  … and ${report.problems.length - limit} more (write them all with --report <file>)`);
  }
  return `${lines.join('\n')}\n`;
}

const passwordOptions = (cmd: Command) =>
  cmd
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--generate-password', 'generate a strong password and print it once');

async function newPassword(opts: { passwordStdin?: boolean; generatePassword?: boolean }) {
  if (opts.generatePassword) return { password: generatePassword(), generated: true };
  return { password: await readNewPassword(opts), generated: false };
}

/** The `roster` command line. `io` lets tests capture the output; actions set `state.exitCode`. */
export function buildProgram(io: Io, state: { exitCode: number }): Command {
  const program = new Command('roster')
    .description(
      'Operate a Roster directory: accounts, export and import, configuration. Connects like the server (MONGODB_URI, or the database it would start).',
    )
    .version(pkg.version)
    .option('-q, --quiet', 'print results and errors only')
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError()
    .exitOverride();
  const quiet = () => !!program.opts().quiet;
  const print = (line: string) => io.out.write(`${line}\n`);

  program
    .command('config')
    .description('print the effective configuration, secrets masked, with where each setting came from')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }) => {
      const settings = effectiveConfig();
      print(opts.json ? JSON.stringify(settings, null, 2) : formatConfig(settings));
    });

  passwordOptions(
    program
      .command('create-admin')
      .description('create an administrator (the first one, or another); retires the one-time setup token')
      .requiredOption('--username <name>', 'letters and digits, starting with a letter')
      .requiredOption('--email <email>')
      .option('--first-name <name>')
      .option('--last-name <name>'),
  ).action(async (opts) => {
    const { password, generated } = await newPassword(opts);
    await withDeps(io, quiet(), async (deps) => {
      const user = await createAdmin(deps, { ...opts, password });
      print(`created admin ${user.username} (${user.uuid})`);
      if (generated) print(`password: ${password}`);
    });
  });

  passwordOptions(
    program
      .command('reset-password <user>')
      .description("set a user's password (user: uuid, username or email) and end their sessions and tokens")
      .option('--must-change', 'expire the new password at once: the user must change it to sign in')
      .option('--unlock', 'also clear a login lockout'),
  ).action(async (ref: string, opts) => {
    const { password, generated } = await newPassword(opts);
    await withDeps(io, quiet(), async (deps) => {
      const r = await resetPassword(deps, ref, password, opts);
      print(
        `password of ${r.user.username ?? r.user.email} (${r.user.uuid}) reset; ${r.revoked} session(s) and token(s) ended${r.unlocked ? '; lockout cleared' : ''}`,
      );
      if (generated) print(`password: ${password}`);
    });
  });

  program
    .command('unlock <user>')
    .description('clear the login lockout of a user (uuid, username or email)')
    .action(async (ref: string) => {
      await withDeps(io, quiet(), async (deps) => {
        const r = await unlockUser(deps, ref);
        print(
          `${r.user.username ?? r.user.email} (${r.user.uuid}) ${r.wasLocked ? 'unlocked' : 'was not locked'}`,
        );
      });
    });

  program
    .command('setup <user>')
    .description('set a user up: member of "All users", visible to its members (idempotent)')
    .action(async (ref: string) => {
      await withDeps(io, quiet(), async (deps) => {
        const r = await setupAccount(deps, ref);
        print(`${r.user.username ?? r.user.email} (${r.user.uuid}) is set up`);
      });
    });

  program
    .command('unsetup <user>')
    .description(
      'undo a set-up: memberships, sharing, signatures, tokens, prefs and the admin and active flags',
    )
    .action(async (ref: string) => {
      await withDeps(io, quiet(), async (deps) => {
        const user = await unsetupAccount(deps, ref);
        print(`${user.username ?? user.email} (${user.uuid}) is unset up`);
      });
    });

  program
    .command('export')
    .description('write users, groups and permission links (with password hashes: keep the file safe)')
    .addOption(
      new Option('--format <format>', 'jsonl or csv (default: from the file name, else jsonl)').choices([
        'jsonl',
        'csv',
      ]),
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { format?: TransferFormat; output?: string }) => {
      const format = opts.format ?? (opts.output ? formatOf(opts.output) : 'jsonl');
      await withDeps(io, quiet(), async (deps) => {
        // Owner-only: the file holds password hashes.
        const out = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : io.out;
        const counts = await exportDirectory(deps, {
          format,
          out,
          progress: quiet() ? undefined : progressBar('export'),
        });
        if (opts.output) {
          out.end();
          await finished(out);
        }
        if (!quiet()) {
          io.err.write(
            `exported ${counts.users} users, ${counts.groups} groups, ${counts.permissions} permission links\n`,
          );
        }
      });
    });

  program
    .command('import <file>')
    .description(
      'create the users, groups and permission links of a file from `roster export` (or a CSV of users)',
    )
    .addOption(
      new Option('--format <format>', 'jsonl or csv (default: from the file name)').choices(['jsonl', 'csv']),
    )
    .option(
      '--concurrency <n>',
      'batches of user rows, or group and permission rows, in flight at once (also bounds hashing within a batch)',
      (v) => Number.parseInt(v, 10),
      8,
    )
    .option('--report <file>', 'write every skipped and rejected row, with its line and reason, as JSON')
    .action(async (file: string, opts: { format?: TransferFormat; concurrency: number; report?: string }) => {
      await withDeps(io, quiet(), async (deps) => {
        const total = await countLines(file);
        const progress = quiet() ? undefined : progressBar('import');
        progress?.start(total);
        const report = await importRecords(deps, readTransferFile(file, opts.format), {
          concurrency: opts.concurrency,
          progress,
        });
        if (opts.report) await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
        io.out.write(formatReport(report));
        if (report.rejected) state.exitCode = EXIT_REJECTED_ROWS;
      });
    });

  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function runCli(
  argv: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const state = { exitCode: 0 };
  try {
    await buildProgram(io, state).parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    // Commander has printed its own message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode;
    const known = err instanceof CliError || err instanceof ConfigError || err instanceof UnsafeDatabaseError;
    io.err.write(`roster: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
    return 1;
  }
}

/** Lines in a file, for the progress bar's total (a header or blank line more or less does not matter). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}
