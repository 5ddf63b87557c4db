import { existsSync } from 'node:fs';
import path from 'node:path';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config';
import { contextFactory } from './context';
import { createModels } from './db/models';
import { createLogger, requestLog, requestLogging } from './http/logging';
import { httpMetrics, metricsHandler, noteTrpcError } from './http/metrics';
import { openApiHandler } from './http/openapi';
import { isSensitiveTrpcPath, sensitiveRateLimit } from './http/rate-limit';
import { corsAllowlist, securityHeaders } from './http/security';
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
}

/** Builds the Express app. It does not connect or listen: main.ts and the tests do. */
export function createApp(deps: Deps, opts: AppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(httpMetrics(deps, Object.keys(appRouter._def.procedures)));
  app.use((_req, res, next) => {
    if (opts.isDraining?.()) res.setHeader('connection', 'close');
    next();
  });

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

  // What every API request goes through, in this order, as one layer of Express's router (each
  // layer costs a path match and a few closures per request).
  app.use(
    inSequence([
      requestLogging(deps.logger, { ignore: (url) => url === '/healthz' || url === '/readyz' }),
      securityHeaders(),
      corsAllowlist(deps.config.corsOrigins),
      cookieParser(),
      express.json({ limit: deps.config.bodyLimit }),
      express.urlencoded({ extended: false, limit: deps.config.bodyLimit }),
    ]),
  );

  app.use('/trpc', sensitiveRateLimit(deps, isSensitiveTrpcPath));
  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      createContext: contextFactory(deps),
      onError: ({ error, path, req }) => {
        noteTrpcError(req, path, error);
        if (error.code === 'INTERNAL_SERVER_ERROR')
          requestLog(req, deps.logger).error({ err: error, path }, 'procedure failed');
      },
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

/** Runs middlewares one after the other; an error skips the rest and goes to Express's error handlers. */
function inSequence(handlers: RequestHandler[]): RequestHandler {
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
        void handler(req, res, step);
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
  return (err, req, res, _next) => {
    const status =
      typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
    const code =
      err?.type === 'entity.too.large'
        ? 'PAYLOAD_TOO_LARGE'
        : status < 500
          ? 'VALIDATION_FAILED'
          : 'INTERNAL';
    if (status >= 500) requestLog(req, deps.logger).error({ err, url: req.url }, 'request failed');
    const message =
      err?.type === 'entity.too.large'
        ? `The request body is larger than ${deps.config.bodyLimit}`
        : err?.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : status < 500
            ? String(err?.message ?? 'Bad request')
            : 'Internal error';
    res.status(status).json({ error: { code, message } });
  };
}
