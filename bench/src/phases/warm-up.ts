import { trpcQueryPath } from '../http';
import { throughput } from '../load';
import { say } from '../progress';
import type { Bench } from './context';

/**
 * Unrecorded load before the first measurement: the database's JVM compiles its hot paths only
 * after thousands of calls (its C2 compiler thread took a fifth of a core during the first
 * logins measured here), and V8 the server's. Without this the first phase ran at 60 to 80 %
 * of the speed of the same requests later in the run.
 */
export async function warmUp(b: Bench): Promise<void> {
  const seconds = b.opts.scale === 'quick' ? 2 : 8;
  const auth = { authorization: `Bearer ${b.readerToken}` };
  say(`warming up the server and the database for ${seconds * 2} s (not recorded)`);
  await throughput({
    label: 'warm-up: users.current, users.get',
    url: `${b.roster.url}${trpcQueryPath('users.get', { uuid: b.loginUsers[1]!.uuid })}`,
    headers: auth,
    connections: b.opts.connections,
    seconds,
  });
  await throughput({
    label: 'warm-up: auth.login',
    url: `${b.roster.url}/trpc/auth.login`,
    method: 'POST',
    bodies: b.loginUsers.map((u) => JSON.stringify({ login: u.username, password: b.password })),
    connections: b.opts.concurrency,
    seconds,
  });
}
