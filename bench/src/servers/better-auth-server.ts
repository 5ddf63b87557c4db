/**
 * Better Auth, the peer that bench compares Roster with: email and password sign-in on its
 * MongoDB adapter, on the same database server as Roster, with the same argon2id parameters.
 * Run as a child process (like Roster) so that both get a process of their own. Prints
 * `LISTENING <port>` once it serves, or `FAILED <reason>` and exits 1.
 */
import http from 'node:http';
import argon2 from 'argon2';
import { betterAuth } from 'better-auth';
import { mongodbAdapter } from 'better-auth/adapters/mongodb';
import { toNodeHandler } from 'better-auth/node';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
const dbName = process.env.BENCH_PEER_DB ?? 'bench_better_auth';
if (!uri) throw new Error('MONGODB_URI is required');

const params = {
  type: argon2.argon2id,
  memoryCost: Number(process.env.BENCH_ARGON2_MEMORY_KIB ?? 19_456),
  timeCost: Number(process.env.BENCH_ARGON2_TIME_COST ?? 2),
  parallelism: Number(process.env.BENCH_ARGON2_PARALLELISM ?? 1),
};

const client = await new MongoClient(uri, { maxPoolSize: 20 }).connect();
const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
const baseURL = `http://127.0.0.1:${port}`;

const auth = betterAuth({
  baseURL,
  secret: 'bench-only-secret-0123456789abcdef0123456789abcdef',
  trustedOrigins: [baseURL],
  // The embedded server has no sessions, so no multi-document transactions (as for Roster).
  database: mongodbAdapter(client.db(dbName), { transaction: false }),
  emailAndPassword: {
    enabled: true,
    password: {
      hash: (password) => argon2.hash(password, params),
      verify: ({ hash, password }) => argon2.verify(hash, password),
    },
  },
  // Roster runs the bench with its rate limit off too: every request comes from 127.0.0.1.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
});

server.on('request', toNodeHandler(auth));
process.stdout.write(`LISTENING ${port}\n`);
const stop = () => server.close(() => client.close().finally(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
