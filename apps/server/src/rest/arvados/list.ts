import { type FilterOperator, MAX_LIST_LIMIT } from '@roster/contracts';
import { z } from 'zod';
import { AppError } from '../../lib/errors';
import type { Deps } from '../../services/deps';
import { parseBool } from '../shared';

/**
 * Arvados resources as Roster shows them, and the translation of Arvados's list parameters
 * (`filters`, `where`, `order`, `limit`, `offset`, `select`, `count`) into Roster's one list
 * vocabulary (contracts/list.ts), whose field names are camelCase.
 */

export type AttrType = 'string' | 'boolean' | 'datetime' | 'integer' | 'array' | 'object';

export interface Attr {
  type: AttrType;
  /** The field of Roster's view (and list vocabulary) this attribute shows. */
  field?: string;
  /** A value Roster does not store because it is the same for every object (e.g. `is_trashed`). */
  fixed?: unknown;
  /** A value derived from the view. */
  compute?: (view: Record<string, unknown>, deps: Deps) => unknown;
  filter?: boolean;
  sort?: boolean;
}

export interface ArvResource {
  /** The discovery document's schema name, e.g. `User`. */
  schema: string;
  kind: string;
  attrs: Record<string, Attr>;
}

const invalid = (message: string, field: string) =>
  new AppError('UNPROCESSABLE_CONTENT', 'VALIDATION_FAILED', message, { field });

/** Structured parameters arrive JSON-encoded in query strings and forms. */
export function jsonParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const count = (name: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z.number({ message: `Invalid value for ${name} parameter` }).int(`Invalid value for ${name} parameter`),
  );

export const ListParams = z.object({
  filters: z
    .preprocess(jsonParam, z.array(z.array(z.unknown()), { message: 'filters must be an array of filters' }))
    .optional(),
  where: z.preprocess(jsonParam, z.record(z.string(), z.unknown())).optional(),
  order: z.preprocess(jsonParam, z.union([z.string(), z.array(z.string())])).optional(),
  select: z.preprocess(jsonParam, z.array(z.string())).optional(),
  limit: count('limit').pipe(z.number().min(0, 'Invalid value for limit parameter')).optional(),
  offset: count('offset').pipe(z.number().min(0, 'Invalid value for offset parameter')).optional(),
  count: z.enum(['exact', 'none'], { message: 'count must be "exact" or "none"' }).optional(),
  distinct: z.preprocess(parseBool, z.boolean()).optional(),
  cluster_id: z.string().max(64).optional(),
  bypass_federation: z.preprocess(parseBool, z.boolean()).optional(),
});
export type ListParams = z.infer<typeof ListParams>;

const OPERATORS: Record<string, FilterOperator> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  in: 'in',
  'not in': 'not in',
  like: 'like',
  ilike: 'ilike',
  exists: 'exists',
};

/** Nothing matches: the translation of a filter that no object of this resource can pass. */
const NONE: [string, FilterOperator, unknown] = ['uuid', 'in', []];

function fixedFilter(value: unknown, op: string, operand: unknown): boolean | undefined {
  const list = Array.isArray(operand) ? operand : [operand];
  if (op === '=') return value === operand;
  if (op === '!=' || op === '<>') return value !== operand;
  if (op === 'in') return list.includes(value);
  if (op === 'not in') return !list.includes(value);
  return undefined;
}

function coerce(attr: Attr, operand: unknown): unknown {
  if (attr.type !== 'boolean') return operand;
  return Array.isArray(operand) ? operand.map(parseBool) : parseBool(operand);
}

/** One Arvados filter `[attr, op, operand]` as a filter of the list vocabulary. */
function translateFilter(resource: ArvResource, f: unknown[]): [string, FilterOperator, unknown] | null {
  if (f.length !== 3)
    throw invalid('Invalid filter: each filter is [attribute, operator, operand]', 'filters');
  const [name, rawOp, operand] = f;
  if (typeof name !== 'string') {
    throw invalid('Filters on several attributes at once (an array, or "any") are not supported', 'filters');
  }
  const op = typeof rawOp === 'string' ? rawOp.toLowerCase() : '';
  if (op === 'is_a') {
    const kinds = Array.isArray(operand) ? operand : [operand];
    return kinds.includes(resource.kind) ? null : NONE;
  }
  const attr = resource.attrs[name];
  if (attr?.fixed !== undefined) {
    const passes = fixedFilter(attr.fixed, op, coerce(attr, operand));
    if (passes === undefined) throw invalid(`Invalid operator '${String(rawOp)}' for '${name}'`, 'filters');
    return passes ? null : NONE;
  }
  if (!attr?.filter || !attr.field) throw invalid(`Invalid attribute '${name}' in filter`, 'filters');
  const mapped = OPERATORS[op];
  if (!mapped) throw invalid(`Invalid operator '${String(rawOp)}'`, 'filters');
  return [attr.field, mapped, coerce(attr, operand)];
}

export interface TranslatedList {
  filters: [string, FilterOperator, unknown][];
  order: { field: string; dir: 'asc' | 'desc' }[];
  limit: number;
  offset: number;
  count: boolean;
  /** Fields for the service's `select` (camelCase). */
  select: string[] | undefined;
  /** Attributes the response shows (snake_case), when `select` was given. */
  attrs: string[] | undefined;
}

export function selectAttrs(resource: ArvResource, select: string[] | undefined) {
  if (!select) return { attrs: undefined, fields: undefined };
  for (const name of select) {
    if (!resource.attrs[name]) {
      throw invalid(`Invalid attribute '${name}' of ${resource.schema} in select parameter`, 'select');
    }
  }
  const fields = select.flatMap((name) => resource.attrs[name]?.field ?? []);
  return { attrs: select, fields: fields.length ? fields : ['uuid'] };
}

/** Arvados list parameters as the list vocabulary's input (validated afterwards by the resource's contract). */
export function translateList(resource: ArvResource, params: ListParams): TranslatedList {
  const filters = (params.filters ?? []).flatMap((f) => {
    const t = translateFilter(resource, f);
    return t ? [t] : [];
  });
  for (const [name, value] of Object.entries(params.where ?? {})) {
    const t = translateFilter(resource, [name, Array.isArray(value) ? 'in' : '=', value]);
    if (t) filters.push(t);
  }
  // Arvados drops order entries it cannot use; so does Roster, and keeps at most three.
  const entries = typeof params.order === 'string' ? params.order.split(',') : (params.order ?? []);
  const order = entries
    .flatMap((entry) => {
      const [name = '', dir = 'asc'] = entry.trim().split(/\s+/);
      const attr = resource.attrs[name];
      const d = dir.toLowerCase();
      return attr?.sort && attr.field && (d === 'asc' || d === 'desc') ? [{ field: attr.field, dir: d }] : [];
    })
    .slice(0, 3) as TranslatedList['order'];
  const { attrs, fields } = selectAttrs(resource, params.select);
  return {
    filters,
    order,
    limit: Math.min(params.limit ?? 100, MAX_LIST_LIMIT),
    offset: params.offset ?? 0,
    count: (params.count ?? 'exact') === 'exact',
    select: fields,
    attrs,
  };
}

/** A Roster view as an Arvados object: every attribute of the resource, or the selected ones. */
export function render(
  deps: Deps,
  resource: ArvResource,
  view: Record<string, unknown>,
  attrs?: string[],
): Record<string, unknown> {
  const names = attrs ? ['kind', ...attrs.filter((a) => a !== 'kind')] : Object.keys(resource.attrs);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const attr = resource.attrs[name];
    if (!attr) continue;
    out[name] =
      attr.fixed !== undefined
        ? attr.fixed
        : attr.compute
          ? attr.compute(view, deps)
          : attr.field
            ? (view[attr.field] ?? null)
            : null;
  }
  return out;
}

/** The list envelope: `{kind, offset, limit, items, items_available}` (the last with `count=exact`). */
export function renderList(
  deps: Deps,
  resource: ArvResource,
  page: {
    items: Record<string, unknown>[];
    limit: number;
    offset: number;
    itemsAvailable?: number | undefined;
  },
  attrs?: string[],
) {
  return {
    kind: `${resource.kind}List`,
    offset: page.offset,
    limit: page.limit,
    items: page.items.map((v) => render(deps, resource, v, attrs)),
    ...(page.itemsAvailable !== undefined ? { items_available: page.itemsAvailable } : {}),
  };
}
