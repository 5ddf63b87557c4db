/** Command-line flags and environment variables of `pnpm bench`. */

export type Scale = 'quick' | 'default' | 'full';

export interface BenchOptions {
  scale: Scale;
  /** Directory sizes at which users.list is measured. */
  listSizes: number[];
  /** Users created through users.create (each hashes a password). */
  apiUsers: number;
  /**
   * Users imported with `roster import` (pre-hashed), over `rounds` runs of the CLI: the
   * issue's 100k at the default scale too, since batched imports take about a minute for them.
   */
  importUsers: number;
  /** Concurrent logins, and concurrent raw argon2 operations in their baseline. */
  concurrency: number;
  /** Connections for the requests-per-second runs. */
  connections: number;
  /** Rounds in which baselines and measured runs alternate. */
  rounds: number;
  /**
   * Rounds of logins against raw argon2: more than the others, because both sides are bound by
   * the same two cores and the machine's speed drifts by a third within a minute here.
   */
  loginRounds: number;
  /** Length of each timed load run within a round. */
  seconds: number;
  /** Samples per users.list variant (bounded by time too). */
  listSamples: number;
  /** Embedded database backend when MONGODB_URI is unset. */
  backend: 'memory' | 'h2';
  /** Measure the Better Auth peer. */
  peer: boolean;
  mongodbUri: string | undefined;
}

export const USAGE = `Usage: pnpm bench [--full | --quick] [--h2] [--no-peer]

  --full      users.list at 10k, 100k and 1M users
              (also BENCH_SCALE=full); takes much longer
  --quick     a short smoke run at 2k users (also BENCH_SCALE=quick): figures are rough
  --h2        run the embedded database on its H2 backend in a temporary directory, as
              \`pnpm start\` does, instead of in memory (also BENCH_DB=h2); slower inserts
  --no-peer   skip the Better Auth comparison

MONGODB_URI=mongodb://…  measures against that MongoDB instead of the embedded server, in a
database of its own that is dropped at the end.`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[], env: Record<string, string | undefined>): BenchOptions {
  let scale: Scale = env.BENCH_SCALE === 'full' || env.BENCH_SCALE === 'quick' ? env.BENCH_SCALE : 'default';
  if (env.BENCH_SCALE && !['full', 'quick', 'default'].includes(env.BENCH_SCALE)) {
    throw new UsageError(`BENCH_SCALE must be quick, default or full, not "${env.BENCH_SCALE}"`);
  }
  let backend: BenchOptions['backend'] = env.BENCH_DB === 'h2' ? 'h2' : 'memory';
  let peer = true;
  for (const arg of argv) {
    if (arg === '--') continue;
    else if (arg === '--full') scale = 'full';
    else if (arg === '--quick') scale = 'quick';
    else if (arg === '--h2') backend = 'h2';
    else if (arg === '--no-peer') peer = false;
    else throw new UsageError(arg === '--help' || arg === '-h' ? '' : `unknown option ${arg}`);
  }
  const quick = scale === 'quick';
  return {
    scale,
    listSizes: quick ? [2_000] : scale === 'full' ? [10_000, 100_000, 1_000_000] : [10_000, 100_000],
    apiUsers: quick ? 200 : scale === 'full' ? 2_000 : 1_000,
    importUsers: quick ? 2_000 : 100_000,
    concurrency: 4,
    connections: 10,
    rounds: quick ? 2 : 3,
    loginRounds: quick ? 2 : 5,
    seconds: quick ? 2 : 3,
    listSamples: quick ? 10 : 30,
    backend,
    peer,
    mongodbUri: env.MONGODB_URI || undefined,
  };
}
