import type { IncomingMessage } from 'node:http';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { RequestHandler } from 'express';
import type { Connection } from 'mongoose';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Deps } from '../services/deps';
import type { NodeMiddleware } from './logging';

/**
 * Prometheus metrics, served at /metrics. One registry per process: counters add up whatever
 * the number of apps a process builds (tests build several).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const labelNames = ['method', 'route', 'status'] as const;
const requests = new Counter({
  name: 'roster_http_requests_total',
  help: 'HTTP requests by route (tRPC calls as /trpc/<procedure>, one per call of a batch) and status',
  labelNames,
  registers: [registry],
});
const duration = new Histogram({
  name: 'roster_http_request_duration_seconds',
  help: 'HTTP request latency by route and status (a batched tRPC call counts the whole batch)',
  labelNames,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const inFlight = new Gauge({
  name: 'roster_http_requests_in_flight',
  help: 'HTTP requests being served',
  registers: [registry],
});
const logins = new Counter({
  name: 'roster_logins_total',
  help: 'Password logins by outcome (a locked account answers like a failure but counts as locked)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const lockouts = new Counter({
  name: 'roster_lockouts_total',
  help: 'Temporary lockouts started by too many failed logins, in this process',
  registers: [registry],
});

export type LoginOutcome = 'success' | 'failure' | 'locked';

/** What the services count. The auth service calls these; nothing else needs prom-client. */
export const metrics = {
  login(outcome: LoginOutcome): void {
    logins.inc({ outcome });
  },
  lockout(): void {
    lockouts.inc();
  },
};
for (const outcome of ['success', 'failure', 'locked'] as const) logins.inc({ outcome }, 0);

/** The connection pools of the driver's topology (one per server of a replica set). */
interface DriverPool {
  totalConnectionCount: number;
  currentCheckedOutCount: number;
  waitQueueSize: number;
  options?: { maxPoolSize?: number };
}

/**
 * The driver counts its pools itself; their getters are not part of its public API, so a
 * version that lacks them just leaves these samples out (the CMAP events could not be used:
 * the connection exists, and has connected, before the app is built).
 */
function driverPools(conn: Connection): DriverPool[] {
  const servers = (
    conn.getClient() as unknown as { topology?: { s?: { servers?: Map<string, { pool?: DriverPool }> } } }
  ).topology?.s?.servers;
  return [...(servers?.values() ?? [])]
    .map((s) => s.pool)
    .filter((p): p is DriverPool => typeof p?.totalConnectionCount === 'number');
}

const watched = new Map<Connection, Deps>();
const READY_STATES = ['disconnected', 'connected', 'connecting', 'disconnecting'] as const;
const checkoutFailures = new Counter({
  name: 'roster_db_pool_checkout_failures_total',
  help: 'Connections the driver could not hand out, by reason (timeout, poolClosed, connectionError)',
  labelNames: ['db', 'reason'] as const,
  registers: [registry],
});

new Gauge({
  name: 'roster_db_connection_state',
  help: "1 for the mongoose connection's current state (disconnected, connected, connecting, disconnecting)",
  labelNames: ['db', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [conn] of watched) {
      for (const [i, state] of READY_STATES.entries())
        this.set({ db: conn.name, state }, conn.readyState === i ? 1 : 0);
    }
  },
});
new Gauge({
  name: 'roster_db_pool_connections',
  help: 'Driver pool connections, all servers together: open, in_use (checked out), waiting (requests queued for one), max (pool size limit per server)',
  labelNames: ['db', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [conn] of watched) {
      const pools = driverPools(conn);
      if (!pools.length) continue;
      const sum = (f: (p: DriverPool) => number) => pools.reduce((n, p) => n + f(p), 0);
      this.set(
        { db: conn.name, state: 'open' },
        sum((p) => p.totalConnectionCount),
      );
      this.set(
        { db: conn.name, state: 'in_use' },
        sum((p) => p.currentCheckedOutCount),
      );
      this.set(
        { db: conn.name, state: 'waiting' },
        sum((p) => p.waitQueueSize),
      );
      this.set({ db: conn.name, state: 'max' }, pools[0]?.options?.maxPoolSize ?? 0);
    }
  },
});
new Gauge({
  name: 'roster_locked_accounts',
  help: 'Accounts and login names locked out right now (read from the database: all processes)',
  labelNames: ['db'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const [conn, deps] of watched) {
      if (conn.readyState !== 1) continue;
      const count = await deps.models.Lockout.countDocuments({ lockedUntil: { $gt: new Date() } })
        .maxTimeMS(1_000)
        .catch(() => null);
      if (count !== null) this.set({ db: conn.name }, count);
    }
  },
});

/** Reports this app's database connection (state, pool, locked accounts) until it closes. */
function watchDatabase(deps: Deps): void {
  const conn = deps.models.User.db;
  if (watched.has(conn)) return;
  watched.set(conn, deps);
  conn.getClient().on('connectionCheckOutFailed', (e) => {
    checkoutFailures.inc({ db: conn.name, reason: String(e.reason) });
  });
  conn.once('close', () => watched.delete(conn));
}

/** Per request: the HTTP status of each tRPC call that failed (a batch answers 207 for mixed results). */
const trpcErrors = new WeakMap<IncomingMessage, Map<string, number>>();

/** What Express adds to a request that names its route; the lean tRPC path has none of it. */
type RoutedRequest = IncomingMessage & { originalUrl?: string; baseUrl?: string; route?: unknown };

/** Called from the tRPC adapter's onError, so that each call of a batch gets its own status. */
export function noteTrpcError(
  req: IncomingMessage,
  path: string | undefined,
  error: Parameters<typeof getHTTPStatusCodeFromError>[0],
) {
  if (!path) return;
  const errors = trpcErrors.get(req) ?? new Map<string, number>();
  errors.set(path, getHTTPStatusCodeFromError(error));
  trpcErrors.set(req, errors);
}

/** Labels of a finished request: one per tRPC call, or the Express route (never the raw URL, whose ids would explode the series). */
function routesOf(
  req: RoutedRequest,
  status: number,
  procedures: Set<string>,
): { route: string; status: number }[] {
  const url = req.originalUrl ?? req.url ?? '';
  if (url.startsWith('/trpc/')) {
    let names: string[];
    try {
      names = decodeURIComponent(url.slice('/trpc/'.length).split('?')[0] ?? '').split(',');
    } catch {
      names = ['unknown'];
    }
    const errors = trpcErrors.get(req);
    return names.map((name) => ({
      route: procedures.has(name) ? `/trpc/${name}` : '/trpc/unknown',
      status: errors?.get(name) ?? (status === 207 ? 200 : status),
    }));
  }
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return [{ route: `${req.baseUrl}${route.path}`, status }];
  return [{ route: status === 404 ? 'unmatched' : 'other', status }];
}

/**
 * Counts and times every request. Mount it first. `procedures` are the tRPC procedure names
 * (any other name under /trpc counts as /trpc/unknown).
 */
export function httpMetrics(deps: Deps, procedures: Iterable<string>): NodeMiddleware {
  watchDatabase(deps);
  const known = new Set(procedures);
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // A client that went away before the answer: 499, as nginx counts it.
      const status = res.writableFinished ? res.statusCode : 499;
      for (const r of routesOf(req, status, known)) {
        const labels = { method: req.method ?? '', route: r.route, status: String(r.status) };
        requests.inc(labels);
        duration.observe(labels, seconds);
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
}

/** GET /metrics: the Prometheus text format. */
export const metricsHandler: RequestHandler = async (_req, res) => {
  res.setHeader('content-type', registry.contentType);
  // prom-client writes NaN (an event-loop lag with no sample since the last scrape) as `Nan`;
  // the text format spells it `NaN`.
  res.end((await registry.metrics()).replace(/ Nan$/gm, ' NaN'));
};
