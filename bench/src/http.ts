import http from 'node:http';

/** Keep-alive connections to the servers under test; loopback only. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    return Promise.reject(new Error(`bench sends traffic to loopback only, not to ${u.hostname}`));
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      u,
      {
        agent,
        method: opts.method ?? 'GET',
        headers: {
          ...(opts.body !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) }
            : {}),
          ...opts.headers,
        },
        timeout: opts.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.pathname} within the timeout`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/** A tRPC call over HTTP (no batching), as a client without the typed wrapper sends it. */
export async function trpc<T = unknown>(
  base: string,
  procedure: string,
  opts: { input?: unknown; token?: string; mutation?: boolean },
): Promise<T> {
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const res = opts.mutation
    ? await request(`${base}/trpc/${procedure}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(opts.input ?? {}),
      })
    : await request(`${base}${trpcQueryPath(procedure, opts.input)}`, { headers });
  const parsed = JSON.parse(res.body) as { result?: { data: T }; error?: { message: string } };
  if (res.status !== 200 || !parsed.result) {
    throw new Error(
      `${procedure} answered ${res.status}: ${parsed.error?.message ?? res.body.slice(0, 300)}`,
    );
  }
  return parsed.result.data;
}

export function trpcQueryPath(procedure: string, input?: unknown): string {
  return input === undefined
    ? `/trpc/${procedure}`
    : `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

export function closeConnections(): void {
  agent.destroy();
}
