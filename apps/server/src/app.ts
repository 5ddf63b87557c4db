import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Config } from './config';
import { contextFactory } from './context';
import { createModels } from './db/models';
import { bindRequestLogger, createLogger, requestAwareLogger, SECRET_LOG_PATHS } from './http/logging';
import { httpMetrics, metricsHandler, noteTrpcError } from './http/metrics';
import { openApiHandler } from './http/openapi';
import { isSensitiveTrpcPath, sensitiveRateLimit } from './http/rate-limit';
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
    // Inside a request, services' log lines go through the request's logger and carry its id.
    logger: requestAwareLogger(logger ?? createLogger(config.logLevel)),
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

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

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

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : `req-${randomUUID()}`;
        res.setHeader('x-request-id', id);
        return id;
      },
      // Never log credentials: headers and cookies are redacted, bodies are not logged at all.
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        ...SECRET_LOG_PATHS,
      ],
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // Arvados clients may send the token as ?api_token= or ?oauth_token=: keep it out of the URL we log.
      serializers: {
        req: (req: { url?: string; query?: unknown }) => ({
          ...req,
          url: req.url?.replace(/([?&](?:api_token|oauth_token)=)[^&]*/g, '$1[redacted]'),
          query: undefined,
        }),
      },
      // `reqId` on every line: req.log (which the services' lines go through) carries only the id.
      quietReqLogger: true,
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
        },
      },
    }),
  );
  // Browsers on other origins may call the API only from the configured allowlist.
  app.use(
    cors({
      origin: (origin, done) =>
        done(null, !origin || deps.config.corsOrigins.includes(origin) ? (origin ?? false) : false),
      credentials: true,
      allowedHeaders: ['content-type', 'authorization', 'x-csrf-token', 'x-request-id', 'trpc-accept'],
      maxAge: 600,
    }),
  );
  app.use(cookieParser());
  app.use(express.json({ limit: deps.config.bodyLimit }));
  app.use(express.urlencoded({ extended: false, limit: deps.config.bodyLimit }));
  app.use(bindRequestLogger);

  app.use('/trpc', sensitiveRateLimit(deps, isSensitiveTrpcPath));
  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      createContext: contextFactory(deps),
      onError: ({ error, path, req }) => {
        noteTrpcError(req, path, error);
        if (error.code === 'INTERNAL_SERVER_ERROR')
          deps.logger.error({ err: error, path }, 'procedure failed');
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
    if (status >= 500) deps.logger.error({ err, url: req.url }, 'request failed');
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
