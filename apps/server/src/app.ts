import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import path from 'node:path';
import type { TRPCError } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config';
import { contextFactory, type HttpRequest } from './context';
import { createModels } from './db/models';
import { clientAddressing } from './http/client-address';
import { createLogger, type NodeMiddleware, requestLog, requestLogging } from './http/logging';
import { httpMetrics, metricsHandler, noteTrpcError } from './http/metrics';
import { openApiHandler } from './http/openapi';
import { isSensitiveTrpcPath, leanSensitiveRateLimit, sensitiveRateLimit } from './http/rate-limit';
import { corsAllowlist, securityHeaders } from './http/security';
import { leanTrpc } from './http/trpc-lean';
import { wellKnown } from './lib/ids';
import { PasswordHasher } from './lib/passwords';
import { mountRestFacades } from './rest';
import { appRouter } from './router';
import { AuthCache } from './services/auth-cache';
import type { Deps } from './services/deps';

export function createDeps(config: Config, connection: Connection, logger?: Logger): Deps {
  return {
    config,
    models: createModels(connection),
    hasher: new PasswordHasher(config.argon2),
    // Services' lines about a request carry its id through logFor(deps.logger, meta).
    logger: logger ?? createLogger(config.logLevel),
    wellKnown: wellKnown(config.clusterId),
    authCache: new AuthCache(config.authCacheMs),
  };
}

export interface AppOptions {
  /** True once the database is connected and the well-known objects exist. */
  isReady: () => boolean;
  /** True while the process stops: responses then ask clients to close their connection. */
  isDraining?: () => boolean;
  /** Serve tRPC's everyday calls on the lean path (default); false leaves all of them to tRPC's adapter. */
  leanTrpc?: boolean;
}

/**
 * Builds the request listener: tRPC's everyday calls go straight to the lean path
 * (http/trpc-lean.ts), everything else to the Express app. Both run the same middleware, built
 * once here. It does not connect or listen: main.ts and the tests do.
 */
export function createApp(deps: Deps, opts: AppOptions): RequestListener {
  const measured = httpMetrics(deps, Object.keys(appRouter._def.procedures));
  const draining: NodeMiddleware = (_req, res, next) => {
    if (opts.isDraining?.()) res.setHeader('connection', 'close');
    next();
  };
  // What every API request goes through, in this order, as one layer of Express's router (each
  // layer costs a path match and a few closures per request).
  const api = inSequence([
    requestLogging(deps.logger, { ignore: (url) => url === '/healthz' || url === '/readyz' }),
    securityHeaders(),
    corsAllowlist(deps.config.corsOrigins),
    cookieParser() as NodeMiddleware,
    express.json({ limit: deps.config.bodyLimit }) as NodeMiddleware,
    express.urlencoded({ extended: false, limit: deps.config.bodyLimit }) as NodeMiddleware,
  ]);
  const createContext = contextFactory(deps);
  const onError: TrpcErrorHook = ({ error, path, req }) => {
    noteTrpcError(req, path, error);
    if (error.code === 'INTERNAL_SERVER_ERROR')
      requestLog(req, deps.logger).error({ err: error, path }, 'procedure failed');
  };

  const app = expressApp(deps, opts, { measured, draining, api, createContext, onError });

  const lean = leanTrpc({
    router: appRouter,
    limited: isSensitiveTrpcPath,
    createContext: (req, res) => createContext({ req, res }),
    onError,
  });
  const leanPipeline = inSequence([measured, draining, api]);
  // Logins and the other calls that cost a password hash or mint credentials, after their limit.
  const leanLimitedPipeline = inSequence([measured, draining, api, leanSensitiveRateLimit(deps)]);
  const addressing = clientAddressing(deps.config.trustProxy);
  return (req, res) => {
    const plan = opts.leanTrpc !== false && req.url?.startsWith('/trpc/') ? lean.plan(req) : null;
    if (!plan) {
      app(req, res);
      return;
    }
    const r = req as HttpRequest & { originalUrl?: string };
    r.originalUrl = req.url;
    r.ip = addressing.ip(req);
    r.secure = addressing.secure(req);
    (plan.limited ? leanLimitedPipeline : leanPipeline)(req, res, (err) => {
      if (err) {
        answerError(deps, req, res, err);
        return;
      }
      lean.serve(req, res, plan).catch((failure: unknown) => answerError(deps, req, res, failure));
    });
  };
}

type Shared = {
  measured: NodeMiddleware;
  draining: NodeMiddleware;
  api: NodeMiddleware;
  createContext: ReturnType<typeof contextFactory>;
  onError: TrpcErrorHook;
};

/** What both tRPC paths call for a failed call: metrics by status, and a log line for a 500. */
type TrpcErrorHook = (opts: { error: TRPCError; path?: string; req: IncomingMessage }) => void;

/** The Express app: REST facades, health, metrics, the console, and tRPC's own adapter. */
function expressApp(deps: Deps, opts: AppOptions, shared: Shared) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(shared.measured);
  app.use(shared.draining);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready means serving now: started, connected, and the database answers a ping. The driver's
  // own connection state lags a dead server by up to a heartbeat, so it alone is not enough.
  app.get('/readyz', async (_req, res) => {
    const db = deps.models.User.db;
    const ready =
      opts.isReady() &&
      db.readyState === 1 &&
      (await pingWithin(db, Math.min(deps.config.dbTimeoutMs, 1_000)));
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/metrics', metricsHandler);
  app.get('/openapi.json', openApiHandler);

  app.use(shared.api);

  app.use('/trpc', sensitiveRateLimit(deps, isSensitiveTrpcPath));
  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      createContext: shared.createContext,
      onError: shared.onError,
    }),
  );

  mountRestFacades(app, deps);

  // Tests get the console only when they ask for it, so a built console does not change their 404s.
  const adminDist = deps.config.adminDist ?? (deps.config.env === 'test' ? undefined : defaultAdminDist());
  if (adminDist && existsSync(path.join(adminDist, 'index.html'))) {
    // Only the console's files are compressed: API answers are small and latency-bound.
    const consoleFiles = express.Router();
    consoleFiles.use(compression());
    // Vite names every asset by its content hash, so an asset never changes under its name.
    consoleFiles.use(
      '/assets',
      express.static(path.join(adminDist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
    );
    consoleFiles.use(express.static(adminDist, { index: false, maxAge: '1h' }));
    // Client-side routes of the console all load its index page, which is always revalidated.
    consoleFiles.get(/^\/(?!trpc|api|arvados|discovery|healthz|readyz|metrics).*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(adminDist, 'index.html'));
    });
    app.use(consoleFiles);
  }

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });
  app.use(jsonErrors(deps));
  return app;
}

/** Runs middlewares one after the other; an error skips the rest and goes to the caller's `next`. */
function inSequence(handlers: NodeMiddleware[]): NodeMiddleware {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        next(err);
        return;
      }
      const handler = handlers[i++];
      if (!handler) {
        next();
        return;
      }
      try {
        handler(req, res, step);
      } catch (e) {
        next(e);
      }
    };
    step();
  };
}

async function pingWithin(db: Connection, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ping = db.db!.command({ ping: 1 }, { timeoutMS: ms }).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function defaultAdminDist(): string | undefined {
  const candidate = path.resolve(import.meta.dirname, '../../admin/dist');
  return existsSync(candidate) ? candidate : undefined;
}

/** Body-parser and other middleware errors as clear JSON 4xx, never an HTML page or a 500. */
function jsonErrors(deps: Deps): ErrorRequestHandler {
  return (err, req: Request, res: Response, _next) => answerError(deps, req, res, err);
}

function answerError(deps: Deps, req: IncomingMessage, res: ServerResponse, err: unknown) {
  const e = err as { status?: unknown; type?: unknown; message?: unknown } | null | undefined;
  const status = typeof e?.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  const code =
    e?.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
  if (status >= 500) requestLog(req, deps.logger).error({ err, url: req.url }, 'request failed');
  const message =
    e?.type === 'entity.too.large'
      ? `The request body is larger than ${deps.config.bodyLimit}`
      : e?.type === 'entity.parse.failed'
        ? 'The request body is not valid JSON'
        : status < 500
          ? String(e?.message ?? 'Bad request')
          : 'Internal error';
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
