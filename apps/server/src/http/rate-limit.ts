import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { type IncrementResponse, type Options, rateLimit, type Store } from 'express-rate-limit';
import { tooMany } from '../lib/errors';
import type { Deps } from '../services/deps';
import type { NodeMiddleware } from './logging';

/**
 * express-rate-limit's store interface over MongoDB, so that every server process behind a load
 * balancer counts against the same limit (DESIGN.md, "Scale"). Fixed windows; one atomic `$inc`
 * per request.
 */
export class MongoRateLimitStore implements Store {
  windowMs = 60_000;
  prefix: string;

  constructor(
    private readonly deps: Deps,
    prefix = 'rl',
  ) {
    this.prefix = prefix;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private window(now = Date.now()) {
    const start = now - (now % this.windowMs);
    return { start, resetAt: new Date(start + this.windowMs) };
  }

  async increment(key: string): Promise<IncrementResponse> {
    return (await this.take(key)).counted;
  }

  /**
   * Counts one hit, and returns with it the way to give that very hit back: in the window it was
   * counted in, even when the window has ended since.
   */
  async take(key: string) {
    const { start, resetAt } = this.window();
    const id = `${this.prefix}|${key}|${start}`;
    const giveBack = async () => {
      await this.deps.models.RateCounter.updateOne({ _id: id }, { $inc: { hits: -1 } });
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await this.deps.models.RateCounter.findOneAndUpdate(
          { _id: id },
          { $inc: { hits: 1 }, $setOnInsert: { resetAt } },
          { upsert: true, new: true, lean: true },
        );
        return { counted: { totalHits: doc!.hits as number, resetTime: resetAt }, giveBack };
      } catch (err) {
        // Two first hits of a window raced on the insert: count again.
        if ((err as { code?: number }).code === 11000 && attempt < 3) continue;
        throw err;
      }
    }
  }

  async decrement(key: string): Promise<void> {
    const { start } = this.window();
    await this.deps.models.RateCounter.updateOne(
      { _id: `${this.prefix}|${key}|${start}` },
      { $inc: { hits: -1 } },
    );
  }

  async resetKey(key: string): Promise<void> {
    const { start } = this.window();
    await this.deps.models.RateCounter.deleteOne({ _id: `${this.prefix}|${key}|${start}` });
  }
}

/** tRPC procedures that cost a password hash or mint credentials: limited per address. */
export const RATE_LIMITED_PROCEDURES = [
  'auth.login',
  'auth.signup',
  'auth.changeExpiredPassword',
  'tokens.create',
  'users.changePassword',
  'users.deleteSelf',
];

/** The native (tRPC-shaped) 429, with node's own response API: the lean tRPC path has no Express. */
function trpcTooMany(_req: IncomingMessage, res: ServerResponse) {
  const body = JSON.stringify({
    error: {
      message: tooMany().message,
      code: -32029,
      data: {
        code: 'TOO_MANY_REQUESTS',
        httpStatus: 429,
        appCode: 'RATE_LIMITED',
        field: null,
        fieldErrors: null,
        formErrors: null,
      },
    },
  });
  res.statusCode = 429;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Per-address limit on the sensitive tRPC procedures (a batched call counts if any of its
 * procedures is one). REST facades mount the same limiter on their own login routes, with
 * `answer` giving the 429 in their dialect's error envelope.
 */
export function sensitiveRateLimit(
  deps: Deps,
  isSensitive: (path: string) => boolean,
  answer: (req: Request, res: Response) => void = trpcTooMany,
): RequestHandler {
  const limit = deps.config.rateLimitPerMinute;
  if (limit === 0) return (_req, _res, next) => next();
  return rateLimit({
    ...limiterOptions(deps, limit),
    skip: (req) => req.method === 'OPTIONS' || !isSensitive(req.path),
    handler: answer,
  });
}

/**
 * The same limit for the lean tRPC path (http/trpc-lean.ts), which calls it only for requests
 * that make a sensitive call, with node's request and response. Both limiters count in the same
 * store records, so a client has one allowance whichever path serves it.
 */
export function leanSensitiveRateLimit(deps: Deps): NodeMiddleware {
  const limit = deps.config.rateLimitPerMinute;
  if (limit === 0) return (_req, _res, next) => next();
  const limiter = rateLimit({
    ...limiterOptions(deps, limit),
    handler: trpcTooMany,
    // Both read Express's `trust proxy` setting off `req.app`; the client's address comes from
    // http/client-address.ts on either path, by ROSTER_TRUST_PROXY.
    validate: { trustProxy: false, xForwardedForHeader: false },
  }) as unknown as NodeMiddleware;
  return (req, res, next) => {
    // Draft-8 headers are set with Express's `res.append`; node's own is `appendHeader`.
    const r = res as ServerResponse & { append?: (name: string, value: string) => unknown };
    r.append ??= (name, value) => res.appendHeader(name, value);
    limiter(req, res, next);
  };
}

function limiterOptions(deps: Deps, limit: number) {
  return {
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new MongoRateLimitStore(deps),
    // An unreachable database must not turn into a 500 here; the request then fails on its own.
    passOnStoreError: true,
  } satisfies Partial<Options>;
}

export function isSensitiveTrpcPath(path: string): boolean {
  const procedures = path.replace(/^\//, '').split(',');
  return procedures.some((p) => RATE_LIMITED_PROCEDURES.includes(p));
}
