import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import type { RequestMeta } from '../services/deps';

/** Fields that may hold a credential wherever they appear in a log call's object (one level down too). */
const SECRET_FIELDS = ['password', 'oldPassword', 'newPassword', 'passwordHash', 'token', 'secret'];
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

/**
 * The logger for a service's lines about one request: they carry its `reqId`, as the request's
 * own line does. The child is made only when a line is written, which few requests do.
 */
export function logFor(logger: Logger, meta: Pick<RequestMeta, 'requestId'> | null | undefined): Logger {
  return meta?.requestId ? logger.child({ reqId: meta.requestId }) : logger;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const TOKEN_IN_QUERY = /([?&](?:api_token|oauth_token)=)[^&]*/g;
const REQUEST_LOG = Symbol('requestLog');

type LoggedRequest = IncomingMessage & { id?: string; originalUrl?: string; [REQUEST_LOG]?: Logger };

/** A connect-style middleware: Express runs it, and so does the lean tRPC path on node's own objects. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** The request's logger (its lines carry `reqId`); made on first use. */
export function requestLog(req: IncomingMessage, base: Logger): Logger {
  const r = req as LoggedRequest;
  if (!r[REQUEST_LOG]) r[REQUEST_LOG] = r.id ? base.child({ reqId: r.id }) : base;
  return r[REQUEST_LOG];
}

/** Request headers as logged: credentials censored, never the raw values. */
function loggedHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers };
  if (out.authorization !== undefined) out.authorization = '[redacted]';
  if (out.cookie !== undefined) out.cookie = '[redacted]';
  return out;
}

/**
 * Gives every request an id (a valid `x-request-id` from the client, else a fresh one, echoed
 * in the response) and writes one line when its response ends: `reqId`, the request (URL with
 * `api_token`/`oauth_token` censored, headers with credentials censored, peer address), the
 * status and the time taken; at `error` with `err` for a 5xx. Bodies are never logged. This
 * replaces pino-http, whose two child loggers and serializers per request cost more than the
 * rest of a cached authenticated read.
 */
export function requestLogging(
  base: Logger,
  opts: { ignore?: (url: string) => boolean } = {},
): NodeMiddleware {
  // Completed requests' lines hold only the fields built below, censored already: they skip the
  // base logger's redaction, which cost more than the rest of the line. Errored lines keep it.
  const lines = { completed: base.child({}, { redact: { paths: [] } }), errored: base };
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : `req-${randomUUID()}`;
    (req as LoggedRequest).id = id;
    res.setHeader('x-request-id', id);
    if (opts.ignore?.(req.url ?? '')) return next();
    const started = Date.now();
    const url = (req as LoggedRequest).originalUrl ?? req.url ?? '';
    let logged = false;
    const done = (err?: unknown) => {
      if (logged) return;
      logged = true;
      res.off('finish', done);
      res.off('close', done);
      res.off('error', done);
      writeLine(lines, req, res, id, url, Date.now() - started, err);
    };
    res.on('finish', done);
    res.on('close', done);
    res.on('error', done);
    next();
  };
}

function writeLine(
  lines: { completed: Logger; errored: Logger },
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  url: string,
  responseTime: number,
  err: unknown,
) {
  const line: Record<string, unknown> = {
    reqId: id,
    req: {
      id,
      method: req.method,
      url: url.includes('_token=') ? url.replace(TOKEN_IN_QUERY, '$1[redacted]') : url,
      headers: loggedHeaders(req.headers),
      remoteAddress: req.socket?.remoteAddress,
      remotePort: req.socket?.remotePort,
    },
    res: { statusCode: res.statusCode },
    responseTime,
  };
  const failed = err ?? (res as { err?: unknown }).err;
  if (failed || res.statusCode >= 500) {
    line.err = failed ?? new Error(`failed with status code ${res.statusCode}`);
    lines.errored.error(line, 'request errored');
  } else {
    lines.completed.info(line, 'request completed');
  }
}
