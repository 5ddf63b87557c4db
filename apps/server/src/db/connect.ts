import { runSelfCheck } from '@roster/embedded-mongo';
import mongoose, { type Connection } from 'mongoose';

export class UnsafeDatabaseError extends Error {}

/**
 * Opens a mongoose connection on its own (not the global default), so that several apps and
 * test files can each have their own database in one process.
 */
export async function connectDatabase(
  uri: string,
  dbName: string,
  opts: { selfCheck?: boolean; timeoutMs?: number } = {},
): Promise<Connection> {
  if (opts.selfCheck !== false) {
    const check = await runSelfCheck(uri, { dbName: `${dbName}_selfcheck` });
    if (!check.ok) {
      throw new UnsafeDatabaseError(
        `Refusing to run on the database at ${redactUri(uri)}: it failed the start-up self-check.\n  ${check.failures.join('\n  ')}`,
      );
    }
  }
  const connection = mongoose.createConnection(uri, {
    dbName,
    // Fail fast when the database is away instead of queueing requests for the default 30 s.
    serverSelectionTimeoutMS: opts.timeoutMs ?? 3_000,
    bufferCommands: false,
    maxPoolSize: 20,
  });
  await connection.asPromise();
  return connection;
}

export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
