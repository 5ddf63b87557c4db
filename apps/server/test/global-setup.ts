import type { TestProject } from 'vitest/node';
// Relative import: global setup runs outside the test environments, without their export conditions.
import { startEmbeddedMongo } from '../../../packages/embedded-mongo/src/index';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/**
 * One database server per test run: MONGODB_URI when set (a genuine MongoDB), else the embedded
 * server in memory. Each test file then works in a database of its own.
 */
export default async function setup(project: TestProject) {
  // The same variable config.ts reads; the test harness is the one other place that may.
  const uri = process.env.MONGODB_URI;
  if (uri) {
    project.provide('mongoUri', uri);
    return;
  }
  const db = await startEmbeddedMongo({
    inMemory: true,
    log: (line) => process.stderr.write(`[test db] ${line}\n`),
  });
  project.provide('mongoUri', db.uri);
  return () => db.stop();
}
