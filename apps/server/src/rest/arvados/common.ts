import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sensitiveRateLimit } from '../../http/rate-limit';
import { forbidden, tooMany } from '../../lib/errors';
import type { Actor, Deps } from '../../services/deps';
import {
  appCodeOf,
  bareCall,
  type Call,
  type Dialect,
  type Gate,
  messageOf,
  parseBool,
  statusOf,
} from '../shared';
import type { MethodDoc, Param } from './discovery';
import { jsonParam, type ListParams } from './list';

/** What every Arvados resource's methods share: the dialect, its error envelope, parameters and bodies. */

/** `{"errors":["<message> (<request id>)"],"error_token":"<unix time>+<8 hex>"}`, with Arvados's statuses. */
export function sendError(call: Call, err: unknown) {
  const raw = statusOf(err);
  // Arvados answers 422 to every invalid request, and clients retry 409: never send one.
  const status = raw === 400 || raw === 409 ? 422 : raw;
  const code = appCodeOf(err);
  const message =
    code === 'UNAUTHENTICATED' ? 'Not logged in' : status === 404 ? 'Path not found' : messageOf(err);
  const requestId = call.meta.requestId || String(call.res.getHeader('x-request-id') ?? '');
  call.res.status(status).json({
    errors: [requestId ? `${message} (${requestId})` : message],
    error_token: `${Math.floor(Date.now() / 1000)}+${randomBytes(4).toString('hex')}`,
  });
}

/** The per-address limit of the sensitive routes, answering 429 in Arvados's envelope. */
export function arvadosRateLimit(deps: Deps) {
  return sensitiveRateLimit(
    deps,
    () => true,
    (req, res) => sendError(bareCall(deps, req, res), tooMany()),
  );
}

const CURRENT_TOKEN = '/arvados/v1/api_client_authorizations/current';

export const dialect: Dialect = {
  name: 'arvados',
  csrf: 'header',
  alwaysAllowed: (method, path) => method === 'GET' && path === CURRENT_TOKEN,
  sendError,
};

/**
 * Arvados's snake_case body attributes as a contract's camelCase fields. Read-only attributes
 * clients send back (kind, etag, timestamps…) are dropped, unknown ones are kept so that the
 * contract's strict schema names them, and `""` means "none", as in Arvados.
 */
export function renamed(
  raw: Record<string, unknown>,
  keys: Record<string, string>,
  opts: { blank?: 'drop' | 'null'; booleans?: readonly string[] } = {},
): Record<string, unknown> {
  const READ_ONLY = [
    'kind',
    'etag',
    'href',
    'created_at',
    'modified_at',
    'modified_by_user_uuid',
    'modified_by_client_uuid',
    'full_name',
    'is_invited',
    'writable_by',
    'can_write',
    'can_manage',
  ];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (READ_ONLY.includes(name)) continue;
    const field = keys[name] ?? name;
    if (value === '' && opts.blank && field !== 'email' && field !== 'username') {
      if (opts.blank === 'null') out[field] = null;
      continue;
    }
    out[field] = opts.booleans?.includes(name) ? parseBool(value) : value;
  }
  return out;
}

export const BodyObject = (name: string) =>
  z.preprocess(jsonParam, z.record(z.string(), z.unknown(), { message: `${name} must be an object` }));
export const PathUuid = z.string().min(1).max(64);
export const Select = z.preprocess(jsonParam, z.array(z.string().max(64)).max(100)).optional();

export const param = (type: Param['type'], description: string, extra: Partial<Param> = {}): Param => ({
  type,
  location: 'query',
  description,
  ...extra,
});
export const UUID_PARAM = (what: string): Record<string, Param> => ({
  uuid: { type: 'string', location: 'path', required: true, description: `The UUID of the ${what}.` },
});
export const SELECT_PARAM = { select: param('array', 'Attributes to return in the response.') };
export const LIST_PARAMS: Record<string, Param> = {
  filters: param('array', 'Filters `[attribute, operator, operand]`, all of which must match.'),
  where: param('object', 'Attribute values to match (legacy; prefer filters).'),
  order: param('array', 'Sort order: "attribute asc|desc" strings.'),
  select: param('array', 'Attributes to return for each object.'),
  distinct: param('boolean', 'Accepted and ignored.', { default: 'false' }),
  limit: param('integer', 'The most objects to return (at most 1000).', { default: '100' }),
  offset: param('integer', 'How many matching objects to skip.', { default: '0' }),
  count: param('string', '"exact" to include items_available, "none" to leave it out.', { default: 'exact' }),
  cluster_id: param('string', 'Accepted and ignored: Roster is one cluster.'),
  bypass_federation: param('boolean', 'Admin only; accepted and ignored.', { default: 'false' }),
};

export interface ArvMethod<I> extends MethodDoc {
  gate: Exclude<Gate, 'public'>;
  /** Also served as PATCH (Arvados's native update verb; the discovery document says PUT). */
  patch?: boolean;
  audit?: string;
  /** Costs a password hash or mints a credential: under the per-address rate limit. */
  rateLimited?: boolean;
  input: z.ZodType<I>;
  handle(call: Call<Actor>, input: I): Promise<unknown>;
}
export const method = <I>(m: ArvMethod<I>) => m as unknown as ArvMethod<unknown>;

export function checkList(actor: Actor, params: ListParams) {
  if (params.bypass_federation && !actor.user.isAdmin)
    throw forbidden('bypass_federation is for admins only');
}
