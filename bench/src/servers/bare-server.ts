/**
 * The baseline for authenticated reads: a bare `node:http` server that answers each path with
 * the exact JSON body Roster gave for it, with no framework, no auth and no database.
 */
import http from 'node:http';

const bodies = new Map(
  Object.entries(JSON.parse(process.env.BENCH_BARE_BODIES ?? '{}') as Record<string, string>).map(
    ([path, body]) => [path, Buffer.from(body)],
  ),
);

const server = http.createServer((req, res) => {
  const body = bodies.get((req.url ?? '/').split('?')[0]!);
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
