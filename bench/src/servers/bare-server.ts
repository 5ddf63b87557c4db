/**
 * The baseline for authenticated reads: a bare `node:http` server that answers each path with
 * the exact JSON body Roster gave for it, with no framework, no auth and no database. Beside it,
 * on a second port, Express alone answers the same bodies: what the framework by itself costs.
 */
import http from 'node:http';
import express from 'express';

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

const app = express();
app.disable('x-powered-by');
app.use((req, res) => {
  const body = bodies.get(req.path);
  if (!body) {
    res.status(404).end();
    return;
  }
  res.type('json').send(body);
});
const withExpress = http.createServer(app);

const portOf = (s: http.Server) => (s.address() as { port: number }).port;
server.listen(0, '127.0.0.1', () => {
  withExpress.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${portOf(server)} ${portOf(withExpress)}\n`);
  });
});
process.once('SIGTERM', () => {
  withExpress.close();
  server.close(() => process.exit(0));
});
