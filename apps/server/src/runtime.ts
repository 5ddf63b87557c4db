import path from 'node:path';
import { resolveDatabase } from '@roster/embedded-mongo';
import type { Logger } from 'pino';
import { createDeps } from './app';
import type { Config } from './config';
import { connectDatabase } from './db/connect';

/**
 * What the server and the CLI both do first: resolve the database (DESIGN.md's order), connect
 * with the start-up self-check, and build the services' dependencies.
 */
export async function openRuntime(config: Config, opts: { log: (line: string) => void; logger?: Logger }) {
  const db = await resolveDatabase({
    uri: config.mongodbUri,
    dataDir: path.resolve(config.dataDir),
    log: opts.log,
  });
  opts.log(`database: ${db.description}`);
  try {
    const connection = await connectDatabase(db.uri, config.dbName, { timeoutMs: config.dbTimeoutMs });
    const deps = createDeps(config, connection, opts.logger);
    return {
      db,
      connection,
      deps,
      async close() {
        await connection.close().catch(() => {});
        await db.stop().catch(() => {});
      },
    };
  } catch (err) {
    await db.stop().catch(() => {});
    throw err;
  }
}
export type Runtime = Awaited<ReturnType<typeof openRuntime>>;
