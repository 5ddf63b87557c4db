import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
  transformTRPCResponse,
} from '@trpc/server';
import vary from 'vary';

/**
 * tRPC's node adapters turn every request into a Fetch `Request` and every answer into a
 * `Response`; on Node 20 that costs about ten times a cached authenticated read (bench/,
 * "Authenticated reads"). This path serves the calls clients make all day (queries by GET,
 * mutations by POST with a JSON body, alone or batched) with the router's own procedures,
 * error formatter and status rules, through tRPC's public API. Anything else (streaming,
 * subscriptions, method overrides, unknown procedures, a query by POST, input that is not
 * JSON) is left to tRPC's own adapter, which answers it as it always has: `plan` says which.
 * Calls with a rate limit of their own (logins, signups) are served here too, after the caller
 * has run their limiter: `plan` marks them.
 */

export interface LeanCall {
  path: string;
  procedure: AnyTRPCProcedure;
}

export interface LeanPlan {
  type: 'query' | 'mutation';
  batch: boolean;
  calls: LeanCall[];
  /** The `input` query parameter of a GET, parsed; undefined when absent. */
  queryInput: unknown;
  /** Some call of the request has a rate limit of its own, which the caller runs before `serve`. */
  limited: boolean;
}

export interface LeanTrpcOptions<Ctx> {
  router: AnyTRPCRouter;
  /** Calls with a rate limit of their own: `plan` marks requests that make one. */
  limited: (path: string) => boolean;
  createContext: (req: IncomingMessage, res: ServerResponse) => Promise<Ctx>;
  onError: (opts: { error: TRPCError; path: string; req: IncomingMessage }) => void;
}

export function leanTrpc<Ctx>(opts: LeanTrpcOptions<Ctx>) {
  const procedures = opts.router._def.procedures as Record<string, AnyTRPCProcedure>;
  const config = opts.router._def._config;

  /** What this path would serve of a request under `/trpc/`, or null to leave it to tRPC's adapter. */
  function plan(req: IncomingMessage): LeanPlan | null {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const search = q === -1 ? '' : url.slice(q + 1);
    const params = search ? new URLSearchParams(search) : undefined;
    if (req.headers['trpc-accept'] !== undefined || params?.has('connectionParams')) return null;
    let names: string;
    try {
      names = decodeURIComponent(url.slice('/trpc/'.length, q === -1 ? undefined : q));
    } catch {
      return null;
    }
    const batch = params?.get('batch') === '1';
    const paths = batch ? names.split(',') : [names];
    const type = req.method === 'GET' ? 'query' : req.method === 'POST' ? 'mutation' : null;
    if (!type) return null;
    if (type === 'mutation' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
    const calls: LeanCall[] = [];
    let limited = false;
    for (const path of paths) {
      const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
      if (!procedure || procedure._def.type !== type) return null;
      calls.push({ path, procedure });
      limited ||= opts.limited(path);
    }
    let queryInput: unknown;
    const rawInput = type === 'query' ? params?.get('input') : undefined;
    if (rawInput) {
      try {
        queryInput = JSON.parse(rawInput);
      } catch {
        return null;
      }
    }
    return { type, batch, calls, queryInput, limited };
  }

  /** Serves a planned request; the body, if any, is already parsed into `req.body`. */
  async function serve(req: IncomingMessage, res: ServerResponse, p: LeanPlan): Promise<void> {
    const inputs = p.type === 'query' ? p.queryInput : (req as { body?: unknown }).body;
    const inputAt = (index: number): unknown => {
      if (!p.batch) return inputs;
      if (inputs === undefined) return undefined;
      if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: '"input" needs to be an object when doing a batch call',
        });
      }
      return (inputs as Record<string, unknown>)[index];
    };

    let ctx: Ctx | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await opts.createContext(req, res);
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }

    const answers = await Promise.all(
      p.calls.map(async ({ path }, index) => {
        let input: unknown;
        try {
          if (ctxError) throw ctxError;
          const data: unknown = await callTRPCProcedure({
            router: opts.router,
            path,
            // Read only when the procedure asks, as tRPC does: a call without input ignores it.
            getRawInput: async () => {
              input = inputAt(index);
              return input;
            },
            ctx,
            type: p.type,
            signal: undefined,
            batchIndex: index,
          });
          return { body: { result: { data } }, status: 200 };
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          opts.onError({ error, path, req });
          const shape = getTRPCErrorShape({ config, error, type: p.type, path, input, ctx });
          const status = (shape as { data?: { httpStatus?: unknown } }).data?.httpStatus;
          return { body: { error: shape }, status: typeof status === 'number' ? status : 500 };
        }
      }),
    );

    // tRPC's rule: one status when every call agrees, 207 when they differ.
    const statuses = new Set(answers.map((a) => a.status));
    res.statusCode = statuses.size === 1 ? answers[0]!.status : 207;
    const body = p.batch ? answers.map((a) => a.body) : answers[0]!.body;
    const json = JSON.stringify(transformTRPCResponse(config, body as never));
    vary(res, 'trpc-accept, accept');
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(json));
    res.end(json);
  }

  return { plan, serve };
}
