import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { type AppOptions, createApp, createDeps } from './app';
import { type Config, testConfig } from './config';
import { csrfTokenFor } from './context';
import { connectDatabase } from './db/connect';
import { ensureIndexes } from './db/models';
import { randomBase36 } from './lib/ids';
import { login } from './services/auth';
import { ensureWellKnownObjects } from './services/bootstrap';
import type { Deps } from './services/deps';
import { createUser } from './services/users';

export { testConfig };

/**
 * A real Roster on a random loopback port, on its own database of the shared test server.
 * Each test file starts one; nothing is mocked.
 */
export async function startTestServer(opts: {
  uri: string;
  config?: Partial<Config>;
  dbName?: string;
  /** Collects every log line (at info level and above) for tests that read the log. */
  logLines?: string[];
  /** Options of the app itself (see createApp). */
  app?: Pick<AppOptions, 'leanTrpc'>;
}) {
  const config = testConfig({ port: 0, ...opts.config });
  const dbName = opts.dbName ?? `t_${randomBase36(12)}`;
  const connection = await connectDatabase(opts.uri, dbName, {
    selfCheck: false,
    timeoutMs: config.dbTimeoutMs,
  });
  const logger = opts.logLines
    ? pino({ level: 'info' }, { write: (line: string) => void opts.logLines!.push(line) })
    : undefined;
  const deps = createDeps(config, connection, logger);
  await ensureIndexes(deps.models);
  await ensureWellKnownObjects(deps);
  const app = createApp(deps, { isReady: () => true, ...opts.app });
  const server = createServer(app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    dbName,
    connection,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.dropDatabase().catch(() => {});
      await connection.close();
    },
  };
}
export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let counter = 0;

/** Creates a user directly through the service and signs them in; returns their API token. */
export async function makeUser(
  deps: Deps,
  opts: { admin?: boolean; username?: string; password?: string; email?: string; active?: boolean } = {},
) {
  counter += 1;
  const username = opts.username ?? `user${Date.now().toString(36)}${counter}`;
  const password = opts.password ?? 'correct horse battery';
  const email = opts.email ?? `${username.toLowerCase()}@example.com`;
  const user = await createUser(
    deps,
    null,
    { username, email, password, isAdmin: !!opts.admin, isActive: opts.active ?? true, prefs: {} },
    { source: 'bootstrap' },
  );
  const session = user.isActive
    ? await login(deps, { login: username, password }, { ip: '127.0.0.1', requestId: 'test' })
    : null;
  return {
    user,
    username,
    password,
    email,
    token: session?.token ?? '',
    csrfToken: session ? csrfTokenFor(session.token) : '',
  };
}
export { PasswordHasher } from './lib/passwords';
export { issueToken } from './services/tokens';
