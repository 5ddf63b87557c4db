import { z } from 'zod';

/**
 * One list vocabulary for every resource (users, tokens, groups, links, audit events):
 * filters `[field, operator, operand]` ANDed together, an order, a page by offset or by an
 * opaque cursor, an optional total count and a field selection.
 */
export const FILTER_OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'not in',
  'like',
  'ilike',
  'exists',
] as const;
export const FilterOperator = z.enum(FILTER_OPERATORS);
export type FilterOperator = z.infer<typeof FilterOperator>;

export type FieldType = 'string' | 'boolean' | 'date' | 'number' | 'uuid';
export type FieldSpec = Record<string, FieldType>;

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 100;

const Scalar = z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]);
const Operand = z.union([Scalar, z.array(Scalar).max(1000)]);

/** Longest like/ilike pattern. */
export const MAX_LIKE_LENGTH = 256;

function operandProblem(type: FieldType, op: FilterOperator, operand: unknown): string | undefined {
  if (op === 'exists') return typeof operand === 'boolean' ? undefined : 'exists takes true or false';
  if (op === 'in' || op === 'not in') {
    if (!Array.isArray(operand)) return `${op} takes an array`;
    for (const v of operand) {
      const p = scalarProblem(type, v);
      if (p) return p;
    }
    return undefined;
  }
  if (Array.isArray(operand)) return `${op} takes a single value`;
  if (op === 'like' || op === 'ilike') {
    if (type !== 'string' && type !== 'uuid') return `${op} applies to text fields only`;
    if (typeof operand !== 'string') return `${op} takes a pattern string`;
    // SQL LIKE: % any run, _ any one character, \\ makes the next character literal.
    if (operand.length > MAX_LIKE_LENGTH) return `a like pattern has at most ${MAX_LIKE_LENGTH} characters`;
    if (/(^|[^\\])(\\\\)*\\$/.test(operand)) return 'a like pattern cannot end with a lone "\\"';
    // Each inner % is a backtracking point for the database's regex engine: several of them make a
    // match cost grow with a power of the value's length, so one is allowed (plus one at each end).
    const inner = operand
      .replace(/\\[\s\S]/g, 'x')
      .replace(/^%+/, '')
      .replace(/%+$/, '');
    if ((inner.match(/%+/g) ?? []).length > 1) return 'a like pattern has at most one "%" inside';
    return undefined;
  }
  if (operand === null) return op === '=' || op === '!=' ? undefined : `${op} cannot compare with null`;
  if (type === 'boolean' && op !== '=' && op !== '!=') return `${op} does not apply to a boolean field`;
  return scalarProblem(type, operand);
}

function scalarProblem(type: FieldType, v: unknown): string | undefined {
  if (v === null) return undefined;
  switch (type) {
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'expected true or false';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number';
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : 'expected an ISO-8601 date';
    default:
      return typeof v === 'string' ? undefined : 'expected a string';
  }
}

/** The page controls every list takes: how many, from where (an offset or a cursor), and whether to count. */
export const LIST_PAGE = {
  /** 0 asks for the count alone. */
  limit: z.number().int().min(0).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  offset: z.number().int().min(0).max(1_000_000).default(0),
  cursor: z.string().max(2048).optional(),
  count: z.boolean().default(false),
};

const noCursorWithOffset = (v: { cursor?: unknown; offset?: unknown }) => !(v.cursor && Number(v.offset) > 0);
const CURSOR_OR_OFFSET = { message: 'give either a cursor or an offset, not both', path: ['cursor'] };

export function listInput<
  const F extends FieldSpec,
  const S extends readonly [string, ...string[]],
  const Sel extends readonly [string, ...string[]],
>(spec: { filterable: F; sortable: S; selectable: Sel }) {
  const fieldNames = Object.keys(spec.filterable) as [keyof F & string, ...(keyof F & string)[]];
  const Filter = z
    .tuple([z.enum(fieldNames), FilterOperator, Operand])
    .superRefine(([field, op, operand], ctx) => {
      const type = spec.filterable[field] as FieldType;
      const problem = operandProblem(type, op, operand);
      if (problem) ctx.addIssue({ code: 'custom', message: `filter on ${field}: ${problem}`, path: [2] });
    });
  return z
    .object({
      filters: z.array(Filter).max(20).default([]),
      order: z
        .array(z.object({ field: z.enum(spec.sortable), dir: z.enum(['asc', 'desc']).default('asc') }))
        .max(3)
        .default([]),
      ...LIST_PAGE,
      select: z.array(z.enum(spec.selectable)).min(1).optional(),
    })
    .refine(noCursorWithOffset, CURSOR_OR_OFFSET);
}

/**
 * A list in a fixed order, of the children of one parent (the signatures of an agreement): the
 * parent's fields and the shared page controls, without filters or a choice of order.
 */
export function pagedInput<const P extends z.ZodRawShape>(parent: P) {
  return z.object({ ...parent, ...LIST_PAGE }).refine(noCursorWithOffset, CURSOR_OR_OFFSET);
}

export type ListInputOf<F extends FieldSpec, S extends string, Sel extends string> = {
  filters: [keyof F & string, FilterOperator, unknown][];
  order: { field: S; dir: 'asc' | 'desc' }[];
  limit: number;
  offset: number;
  cursor?: string | undefined;
  count: boolean;
  select?: Sel[] | undefined;
};

export function listOutput<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    limit: z.number().int(),
    offset: z.number().int(),
    /** Pass back as `cursor` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
    /** Present when `count: true` was asked for. */
    itemsAvailable: z.number().int().optional(),
  });
}

/** Escapes text for use inside a like pattern, so `%`, `_` and `\\` in it match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
