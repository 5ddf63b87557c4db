import type { FieldType, FilterOperator } from '@roster/contracts';
import { AppError } from './errors';

/** How one API field of a resource maps onto stored fields. */
export interface ListField {
  type: FieldType;
  /** Stored field (defaults to the API name). */
  db?: string;
  /** Lowercased twin used for sorting and case-insensitive matching (e.g. usernameKey). */
  key?: string;
  /** Never null and unique: a sort ending on it needs no tiebreak (and its index serves the sort alone). */
  unique?: boolean;
}

export interface ListSpec {
  fields: Record<string, ListField>;
  /** A unique stored field that ends every sort, so that pages never overlap or skip. */
  tiebreak: string;
  defaultOrder: { field: string; dir: 'asc' | 'desc' }[];
}

export interface ListRequest {
  filters: readonly (readonly [string, FilterOperator, unknown])[];
  order: readonly { field: string; dir: 'asc' | 'desc' }[];
  limit: number;
  offset: number;
  cursor?: string | undefined;
  count: boolean;
}

type Mongo = Record<string, unknown>;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function coerce(type: FieldType, value: unknown): unknown {
  if (value === null) return null;
  if (type === 'date' && typeof value === 'string') return new Date(value);
  return value;
}

function filterClause(
  spec: ListSpec,
  [field, op, operand]: readonly [string, FilterOperator, unknown],
): Mongo {
  const f = spec.fields[field];
  if (!f)
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', `cannot filter on ${field}`, { field: 'filters' });
  const db = f.db ?? field;
  switch (op) {
    case '=':
      return { [db]: coerce(f.type, operand) };
    case '!=':
      return { [db]: { $ne: coerce(f.type, operand) } };
    case '<':
      return { [db]: { $lt: coerce(f.type, operand) } };
    case '<=':
      return { [db]: { $lte: coerce(f.type, operand) } };
    case '>':
      return { [db]: { $gt: coerce(f.type, operand) } };
    case '>=':
      return { [db]: { $gte: coerce(f.type, operand) } };
    case 'in':
      return { [db]: { $in: (operand as unknown[]).map((v) => coerce(f.type, v)) } };
    case 'not in':
      return { [db]: { $nin: (operand as unknown[]).map((v) => coerce(f.type, v)) } };
    case 'exists':
      return operand ? { [db]: { $exists: true, $ne: null } } : { [db]: null };
    case 'like':
    case 'ilike': {
      const insensitive = op === 'ilike';
      // A lowercased key field lets a case-insensitive prefix match use its index.
      const target = insensitive && f.key ? f.key : db;
      const pattern = insensitive && f.key ? String(operand).toLowerCase() : String(operand);
      return {
        [target]: { $regex: likeToRegex(pattern), ...(insensitive && !f.key ? { $options: 'i' } : {}) },
      };
    }
  }
}

/**
 * SQL LIKE as an anchored regular expression: `%` any run, `_` any one character, `\\x` a literal
 * x; runs of `%` are one. Leading and trailing `%` drop the anchor instead of adding `.*`, so
 * "abc%" stays `^abc`, the prefix form an index can serve. `[\s\S]` and `\z` make wildcards and
 * the end anchor hold across newlines, as SQL's do.
 */
export function likeToRegex(pattern: string): string {
  const ANY = '[\\s\\S]*';
  const parts: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) parts.push(escapeRegex(pattern[++i]!));
    else if (c === '%') {
      if (parts.at(-1) !== ANY) parts.push(ANY);
    } else parts.push(c === '_' ? '[\\s\\S]' : escapeRegex(c));
  }
  const open = parts[0] !== ANY;
  const close = parts.at(-1) !== ANY;
  let [from, to] = [0, parts.length];
  while (from < to && parts[from] === ANY) from++;
  while (to > from && parts[to - 1] === ANY) to--;
  return `${open ? '^' : ''}${parts.slice(from, to).join('')}${close ? '\\z' : ''}`;
}

interface CursorState {
  /** The order this cursor belongs to, so a cursor is not reused with another order. */
  o: string;
  v: unknown[];
}

function encodeValue(v: unknown): unknown {
  return v instanceof Date ? { $d: v.toISOString() } : (v ?? null);
}
function decodeValue(v: unknown): unknown {
  return v && typeof v === 'object' && '$d' in v ? new Date(String((v as { $d: string }).$d)) : v;
}

export interface ListPlan {
  filter: Mongo;
  countFilter: Mongo;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
  /** The cursor for the page after the one ending with `last`. */
  cursorAfter(last: Record<string, unknown>): string;
}

/**
 * Turns the shared list vocabulary into a MongoDB filter, sort and page. Cursor pages use
 * keyset conditions on the sort fields (plus the tiebreak), so page 1000 costs what page 1 does.
 */
export function planList(spec: ListSpec, req: ListRequest, baseFilter: Mongo = {}): ListPlan {
  const clauses = req.filters.map((f) => filterClause(spec, f));
  const requested = req.order.length ? req.order : spec.defaultOrder;
  const order = requested.map((o) => {
    const f = spec.fields[o.field];
    return { db: f?.key ?? f?.db ?? o.field, dir: o.dir };
  });
  const endsUnique = !!spec.fields[requested[requested.length - 1]?.field ?? '']?.unique;
  if (!endsUnique && !order.some((o) => o.db === spec.tiebreak)) {
    order.push({ db: spec.tiebreak, dir: order[order.length - 1]?.dir ?? 'asc' });
  }
  const sort = Object.fromEntries(order.map((o) => [o.db, o.dir === 'asc' ? 1 : -1])) as Record<
    string,
    1 | -1
  >;
  const signature = order.map((o) => `${o.db}:${o.dir}`).join(',');

  const base = { ...baseFilter, ...(clauses.length ? { $and: clauses } : {}) };
  let filter: Mongo = base;
  if (req.cursor) {
    const state = decodeCursor(req.cursor);
    if (state.o !== signature || state.v.length !== order.length) {
      throw new AppError(
        'BAD_REQUEST',
        'VALIDATION_FAILED',
        'the cursor belongs to another order; start again without it',
        {
          field: 'cursor',
        },
      );
    }
    filter = { $and: [base, keysetAfter(order, state.v.map(decodeValue))] };
  }
  return {
    filter,
    countFilter: base,
    sort,
    skip: req.cursor ? 0 : req.offset,
    limit: req.limit,
    cursorAfter(last) {
      const state: CursorState = { o: signature, v: order.map((o) => encodeValue(last[o.db])) };
      return Buffer.from(JSON.stringify(state)).toString('base64url');
    },
  };
}

function decodeCursor(cursor: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (typeof state.o !== 'string' || !Array.isArray(state.v)) throw new Error('shape');
    return state;
  } catch {
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'the cursor is not one this server issued', {
      field: 'cursor',
    });
  }
}

/**
 * Documents strictly after `values` in the order: (a > va) or (a = va and b > vb) or …
 * MongoDB sorts null before every value, so null needs its own cases.
 */
function keysetAfter(order: { db: string; dir: 'asc' | 'desc' }[], values: unknown[]): Mongo {
  const branches: Mongo[] = [];
  for (let i = 0; i < order.length; i++) {
    const equal: Mongo = {};
    for (let j = 0; j < i; j++) equal[order[j]!.db] = values[j] ?? null;
    const { db, dir } = order[i]!;
    const v = values[i] ?? null;
    let after: Mongo | undefined;
    if (v === null) after = dir === 'asc' ? { [db]: { $ne: null } } : undefined;
    else after = dir === 'asc' ? { [db]: { $gt: v } } : { $or: [{ [db]: { $lt: v } }, { [db]: null }] };
    if (after) branches.push({ ...equal, ...after });
  }
  return branches.length ? { $or: branches } : { _id: null };
}
