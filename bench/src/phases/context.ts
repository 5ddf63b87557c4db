import type { Db } from 'mongodb';
import type { Watched } from '../cpu';
import type { Meter } from '../load';
import type { BenchOptions } from '../options';
import type { Child } from '../processes';
import type { Figure, NotMeasured } from '../report';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** What every phase shares: the running servers, the accounts made at setup, and the figures so far. */
export interface Bench {
  opts: BenchOptions;
  mongoUri: string;
  /** Roster's database, opened with the driver for direct inserts and baseline queries. */
  db: Db;
  roster: Child;
  /** The database server's process, when bench started it. */
  databasePid: number | undefined;
  /** The processes (and Roster's main thread) whose CPU each run measures. */
  watched: Record<string, Watched>;
  /** Measures the CPU of the bench, Roster and (when started here) the database during a run. */
  meter: Meter;
  clusterId: string;
  argon2: Argon2Params;
  /** The password of every benchmark user, and its argon2id hash made with `argon2`. */
  password: string;
  passwordHash: string;
  adminToken: string;
  /** Non-admin users that log in during the login runs (one per connection and more). */
  loginUsers: { username: string; uuid: string }[];
  /** A non-admin user's token, for the authenticated reads. */
  readerToken: string;
  /** Seeded users so far (numbering for the next insert). */
  seeded: number;
  figures: Figure[];
  notMeasured: NotMeasured[];
  details: Record<string, unknown>;
  /** Figures later phases compare against. */
  measured: Partial<{
    loginsPerSecond: number;
    currentPerSecond: number;
    rawVerifyPerSecond: number;
    apiCreatesPerSecond: number;
  }>;
}
