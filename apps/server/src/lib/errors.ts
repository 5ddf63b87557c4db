import type { AppErrorCode } from '@roster/contracts';
import { TRPCError } from '@trpc/server';

type TRPCCode = TRPCError['code'];

/**
 * An error a client caused or may act on. Services throw it; the tRPC error formatter and the
 * REST facades turn it into their own shapes, keeping `appCode` and `field`.
 */
export class AppError extends TRPCError {
  readonly appCode: AppErrorCode;
  readonly field: string | undefined;

  constructor(
    code: TRPCCode,
    appCode: AppErrorCode,
    message: string,
    opts: { field?: string; cause?: unknown } = {},
  ) {
    super({ code, message, cause: opts.cause });
    this.appCode = appCode;
    this.field = opts.field;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', 'NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do that') =>
  new AppError('FORBIDDEN', 'FORBIDDEN', message);
export const tooMany = (message = 'Too many requests from this address; wait a minute and try again') =>
  new AppError('TOO_MANY_REQUESTS', 'RATE_LIMITED', message);
export const invariant = (message: string, field?: string) =>
  new AppError('UNPROCESSABLE_CONTENT', 'INVARIANT_VIOLATION', message, field ? { field } : {});

/** Unique index name → API field and error code (see db/models.ts). */
const UNIQUE_FIELDS: Record<string, { field: string; appCode: AppErrorCode }> = {
  usernameKey: { field: 'username', appCode: 'USERNAME_TAKEN' },
  emailKey: { field: 'email', appCode: 'EMAIL_TAKEN' },
  identityUrlKey: { field: 'identityUrl', appCode: 'IDENTITY_URL_TAKEN' },
};

interface MongoDuplicateKeyError {
  code?: number;
  errmsg?: string;
  message?: string;
  keyPattern?: Record<string, unknown>;
}

/** The index a duplicate-key error names, from `keyPattern` (MongoDB) or `errmsg` (embedded server). */
export function duplicateKeyIndex(err: unknown): string | undefined {
  const e = err as MongoDuplicateKeyError | null;
  if (e?.code !== 11000) return undefined;
  const fromPattern = e.keyPattern ? Object.keys(e.keyPattern)[0] : undefined;
  if (fromPattern) return fromPattern;
  const msg = e.errmsg ?? e.message ?? '';
  return /index: (?:[\w$.]+\.\$)?([A-Za-z0-9_]+)/.exec(msg)?.[1] ?? 'unknown';
}

/** A duplicate-key error as a CONFLICT naming the field; undefined for any other error. */
export function duplicateKeyConflict(err: unknown): AppError | undefined {
  const index = duplicateKeyIndex(err);
  if (index === undefined) return undefined;
  const known = UNIQUE_FIELDS[index];
  if (known) {
    return new AppError('CONFLICT', known.appCode, `${known.field} is already taken`, {
      field: known.field,
      cause: err,
    });
  }
  return new AppError('CONFLICT', 'CONFLICT', 'a record with the same key already exists', { cause: err });
}

/** Rethrows a duplicate-key error as a CONFLICT naming the field; other errors pass through. */
export function mapDuplicateKey(err: unknown): never {
  throw duplicateKeyConflict(err) ?? err;
}

/** One failed write of an unordered bulk write: the server's error, with the index of its operation. */
export interface FailedWrite extends MongoDuplicateKeyError {
  index: number;
}

/**
 * The failed writes of an unordered `insertMany` or `bulkWrite`, or undefined for an error that is
 * not a bulk write error. The driver's WriteError keeps the server's fields in `err`; mongoose's
 * insertMany replaces each with a copy of its own properties (that `err`) and the index.
 */
export function writeErrorsOf(err: unknown): FailedWrite[] | undefined {
  const list = (err as { writeErrors?: unknown } | null)?.writeErrors;
  if (!Array.isArray(list)) return undefined;
  return list.map((w: { err?: MongoDuplicateKeyError; index: number } & MongoDuplicateKeyError) => ({
    ...(w.err ?? w),
    index: w.index,
  }));
}

const UNAVAILABLE =
  /Mongo(ose)?ServerSelectionError|MongoNetwork(Timeout)?Error|MongoNotConnectedError|PoolCleared|MongoTopologyClosedError/;

/** Socket failures the driver sometimes lets through unwrapped when the server goes away mid-write. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ERR_SOCKET_CLOSED']);

/** True for errors meaning "the database is not reachable right now" (the driver's or mongoose's, or their causes). */
export function isDatabaseUnavailable(err: unknown): boolean {
  type E = { name?: string; code?: unknown; message?: string; cause?: unknown } | null;
  for (let e = err as E, depth = 0; e && depth < 5; e = e.cause as E, depth++) {
    if (UNAVAILABLE.test(e.name ?? '')) return true;
    if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
    if (/socket has been ended by the other party/.test(e.message ?? '')) return true;
  }
  return false;
}
