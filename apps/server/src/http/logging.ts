import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import pino, { type Logger } from 'pino';

/** Fields that may hold a credential wherever they appear in a log call's object (one level down too). */
const SECRET_FIELDS = ['password', 'oldPassword', 'newPassword', 'passwordHash', 'token', 'secret'];
/**
 * Their redaction paths. A child logger given its own `redact` (pino-http's is) drops its
 * parent's, so the request logger must list these too.
 */
export const SECRET_LOG_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

/** The process logger: JSON lines (to stdout unless told), with credential-looking fields censored. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

const requestLogger = new AsyncLocalStorage<Logger>();

/**
 * Runs the rest of the request with pino-http's `req.log` (which carries the request id) as
 * the current logger. Mount it after the body parsers: their stream callbacks would lose the
 * async context.
 */
export const bindRequestLogger: RequestHandler = (req, _res, next) => {
  requestLogger.run(req.log, next);
};

/**
 * The services log through `deps.logger`; inside a request, this makes each of their lines go
 * through the request's logger, so that every line carries the request id.
 */
export function requestAwareLogger(base: Logger): Logger {
  return new Proxy(base, {
    get(target, prop) {
      const logger = requestLogger.getStore() ?? target;
      const value = Reflect.get(logger, prop, logger);
      return typeof value === 'function' ? value.bind(logger) : value;
    },
  });
}
