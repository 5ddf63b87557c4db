import { createServer } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { UnsafeDatabaseError } from './db/connect';
import { ensureIndexes } from './db/models';
import { openRuntime } from './runtime';
import { ensureFirstAdmin, ensureWellKnownObjects } from './services/bootstrap';
import { sweepCounters } from './services/lockout';
import { resumeOperations } from './services/operations';

async function main() {
  const config = loadConfig();
  const say = (line: string) => process.stderr.write(`[roster] ${line}\n`);

  const { db, connection, deps } = await openRuntime(config, { log: say });
  const logger = deps.logger;

  let ready = false;
  let draining = false;
  const app = createApp(deps, { isReady: () => ready, isDraining: () => draining });
  const server = createServer(app).listen(config.port, config.host);
  // A request that has not finished in this time is answered 408 and its socket closed.
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  await ensureIndexes(deps.models);
  await ensureWellKnownObjects(deps);
  const resumed = await resumeOperations(deps);
  if (resumed) say(`finished ${resumed} operation(s) that a crash had interrupted`);
  const firstAdmin = await ensureFirstAdmin(deps);
  ready = true;
  const sweep = setInterval(
    () => sweepCounters(deps).catch((err) => logger.warn({ err }, 'counter sweep failed')),
    600_000,
  );
  sweep.unref();

  say(`Roster is serving at ${url}  (admin console at ${url}/, API at ${url}/trpc)`);
  if (firstAdmin.kind === 'created')
    say(`created the first admin "${firstAdmin.username}" from ROSTER_BOOTSTRAP_ADMIN_*`);
  if (firstAdmin.kind === 'setup-token') {
    say('No admin exists yet. Create the first one within 24 hours with this one-time setup token:');
    say(`  open ${url}/setup#token=${firstAdmin.token}`);
    say(
      `  or: curl -X POST ${url}/trpc/auth.claimFirstAdmin -H 'Authorization: Bearer ${firstAdmin.token}' -H 'content-type: application/json' -d '{"username":"admin","email":"admin@example.com","password":"<at least 8 characters>"}'`,
    );
    say(
      '  (or restart with ROSTER_BOOTSTRAP_ADMIN_USERNAME, ROSTER_BOOTSTRAP_ADMIN_PASSWORD and ROSTER_BOOTSTRAP_ADMIN_EMAIL set)',
    );
  }

  // Graceful stop: /readyz turns 503 at once so that a load balancer stops sending; requests
  // already sent (even those not yet read off their socket) are served with `Connection: close`
  // during a short drain; then the listener closes and the process exits once the last
  // response is out, or after 10 s at most.
  const shutdown = (signal: string) => {
    say(`${signal}: finishing in-flight requests, then stopping`);
    ready = false;
    draining = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    setTimeout(() => {
      server.close(async () => {
        await connection.close().catch(() => {});
        await db.stop().catch(() => {});
        process.exit(0);
      });
      server.closeIdleConnections();
    }, 500);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof UnsafeDatabaseError) {
    process.stderr.write(`[roster] ${err.message}\n`);
  } else {
    process.stderr.write(`[roster] failed to start: ${err?.stack ?? err}\n`);
  }
  process.exit(1);
});
