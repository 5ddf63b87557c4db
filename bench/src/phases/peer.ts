import { MongoClient } from 'mongodb';
import { cpuMeter } from '../cpu';
import { request } from '../http';
import { interleave, throughput } from '../load';
import { type Child, startBetterAuth } from '../processes';
import { say } from '../progress';
import { compareRounds } from '../stats';
import type { Bench } from './context';

const PEER_DB = 'bench_better_auth';

/**
 * Better Auth side by side: sign-in/s against Roster's login/s, get-session/s against
 * Roster's users.current/s, in alternating rounds, at the same concurrency, with the same
 * argon2id parameters, on the same database server. If it cannot run here, the reason is
 * reported and nothing is measured.
 */
export async function peerPhase(b: Bench): Promise<void> {
  let peer: Child | undefined;
  const section = 'Peer: Better Auth';
  try {
    say('starting Better Auth (MongoDB adapter, same database server, argon2id with the same parameters)');
    await prepareCollections(b.mongoUri);
    peer = await startBetterAuth({ uri: b.mongoUri, dbName: PEER_DB, argon2: { ...b.argon2 } });
    const origin = { origin: peer.url };
    const emails = b.loginUsers.map((_, i) => `peer${i}@example.com`);
    for (const [i, email] of emails.entries()) {
      const res = await request(`${peer.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: origin,
        body: JSON.stringify({ email, password: b.password, name: `Peer ${i}` }),
      });
      if (res.status !== 200) throw new Error(`sign-up answered ${res.status}: ${res.body.slice(0, 300)}`);
    }
    const signIn = await request(`${peer.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: origin,
      body: JSON.stringify({ email: emails[0], password: b.password }),
    });
    const cookie = [signIn.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');
    if (signIn.status !== 200 || !cookie) {
      throw new Error(`sign-in answered ${signIn.status}: ${signIn.body.slice(0, 300)}`);
    }
    const session = await request(`${peer.url}/api/auth/get-session`, { headers: { cookie } });
    if (session.status !== 200 || !session.body.includes('"session"')) {
      throw new Error(`get-session answered ${session.status}: ${session.body.slice(0, 300)}`);
    }

    const { concurrency, connections, seconds, rounds } = b.opts;
    const peerPid = peer.pid;
    const peerUrl = peer.url;
    const peerMeter = () => cpuMeter({ betterAuth: { pid: peerPid }, database: { pid: b.databasePid } });
    const warm = (round: number) => (round === 0 ? 1 : 0);
    const rosterAuth = { authorization: `Bearer ${b.readerToken}` };
    say(
      `sign-ins: ${concurrency} connections, users in turn; sessions: ${connections} connections; ${rounds} rounds`,
    );
    const r = await interleave(rounds, {
      rosterLogin: (round) =>
        throughput({
          label: 'Roster auth.login',
          url: `${b.roster.url}/trpc/auth.login`,
          method: 'POST',
          bodies: b.loginUsers.map((u) => JSON.stringify({ login: u.username, password: b.password })),
          connections: concurrency,
          seconds,
          warmupSeconds: warm(round),
          meter: peerMeter,
        }),
      signIn: (round) =>
        throughput({
          label: 'Better Auth sign-in/email',
          url: `${peerUrl}/api/auth/sign-in/email`,
          method: 'POST',
          headers: origin,
          bodies: emails.map((email) => JSON.stringify({ email, password: b.password })),
          connections: concurrency,
          seconds,
          warmupSeconds: warm(round),
          meter: peerMeter,
        }),
      rosterCurrent: (round) =>
        throughput({
          label: 'Roster users.current',
          url: `${b.roster.url}/trpc/users.current`,
          headers: rosterAuth,
          connections,
          seconds,
          warmupSeconds: warm(round),
          meter: peerMeter,
        }),
      getSession: (round) =>
        throughput({
          label: 'Better Auth get-session',
          url: `${peerUrl}/api/auth/get-session`,
          headers: { cookie },
          connections,
          seconds,
          warmupSeconds: warm(round),
          meter: peerMeter,
        }),
    });
    const rps = (runs: { rps: number }[]) => runs.map((x) => x.rps);
    const signIns = compareRounds(rps(r.signIn), rps(r.rosterLogin));
    const sessions = compareRounds(rps(r.getSession), rps(r.rosterCurrent));
    b.details.peer = { rounds: r, comparisons: { signIns, sessions }, rss: peer.rss() };
    b.figures.push(
      {
        section,
        name: `Better Auth sign-in/email, ${concurrency} concurrent`,
        value: signIns.value,
        unit: 'sign-ins/s',
        baseline: { name: 'Roster auth.login', value: signIns.baseline, unit: 'logins/s' },
        ratio: signIns.ratio,
        range: signIns.range,
      },
      {
        section,
        name: `Better Auth get-session (cookie), ${connections} connections`,
        value: sessions.value,
        unit: 'req/s',
        baseline: { name: 'Roster users.current', value: sessions.baseline, unit: 'req/s' },
        ratio: sessions.ratio,
        range: sessions.range,
      },
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    say(`Better Auth not measured: ${reason}`);
    b.notMeasured.push({ section, name: 'Better Auth sign-in/s and get-session/s', reason });
  } finally {
    await peer?.stop();
  }
}

/**
 * Better Auth's MongoDB adapter creates no indexes; an operator would add these. Only unique
 * indexes serve lookups on the embedded server, which is why the lookups by email and by
 * session token are unique here, as they are in Better Auth's SQL schema.
 */
async function prepareCollections(uri: string): Promise<void> {
  const client = await new MongoClient(uri).connect();
  try {
    const db = client.db(PEER_DB);
    await db.dropDatabase();
    await db.collection('user').createIndex({ email: 1 }, { unique: true, name: 'email' });
    await db.collection('session').createIndex({ token: 1 }, { unique: true, name: 'token' });
    await db.collection('session').createIndex({ userId: 1 }, { name: 'userId' });
    await db.collection('account').createIndex({ userId: 1 }, { name: 'userId' });
  } finally {
    await client.close();
  }
}
