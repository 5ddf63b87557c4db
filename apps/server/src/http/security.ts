import cors from 'cors';
import type { Request, Response } from 'express';
import helmet from 'helmet';
import vary from 'vary';
import type { NodeMiddleware } from './logging';

/** Roster's helmet settings: the console's CSP (no inline scripts, inline styles for its components). */
const helmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
    },
  },
} satisfies Parameters<typeof helmet>[0];

/**
 * The headers helmet sets with these options, recorded once by running it against a recording
 * response. None of them depends on the request (no nonces, no per-request directives), so
 * setting the recorded list is what helmet's twelve middlewares do on every request, in one
 * loop. helmet's only other action, removing X-Powered-By, Express does not set (app.ts
 * disables it).
 */
export function helmetHeaders(): readonly (readonly [string, string])[] {
  const headers = new Map<string, readonly [string, string]>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), [name, String(value)]);
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
    getHeader: () => undefined,
  };
  let called = false;
  helmet(helmetOptions)({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously: its headers cannot be recorded');
  return [...headers.values()];
}

export function securityHeaders(): NodeMiddleware {
  const headers = helmetHeaders();
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'x-csrf-token', 'x-request-id', 'trpc-accept'];

/**
 * Browsers on other origins may call the API only from the allowlist. Preflights go through the
 * `cors` package; a plain request from an allowed origin gets what `cors` gives it (the origin
 * reflected, `Vary: Origin`, credentials allowed), anything else gets no CORS header, as with
 * `cors`, whose origin callback answers false then.
 */
export function corsAllowlist(origins: readonly string[]): NodeMiddleware {
  const allowed = new Set(origins);
  const preflight = cors({
    origin: (origin, done) => done(null, origin && allowed.has(origin) ? origin : false),
    credentials: true,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    maxAge: 600,
  });
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return preflight(req, res, next);
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      vary(res, 'Origin');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    next();
  };
}
