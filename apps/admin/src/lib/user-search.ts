import { escapeLike, USER_SORTABLE } from '@roster/contracts';
import type { UserListInput } from './api';

/** The users table's state, as it lives in the URL (so a view can be bookmarked, shared and reloaded). */
export interface UserSearch {
  q: string;
  /** Which field the search term is a prefix of. */
  in: 'username' | 'email';
  active: 'any' | 'yes' | 'no';
  admin: 'any' | 'yes' | 'no';
  /** Created on or after this day (YYYY-MM-DD, local time). */
  from: string;
  /** Created on or before this day. */
  to: string;
  sort: UserSortField;
  dir: 'asc' | 'desc';
  /** 1-based. */
  page: number;
  size: number;
}
export type UserSortField = (typeof USER_SORTABLE)[number];

export const PAGE_SIZES = [25, 50, 100] as const;

export const DEFAULT_SEARCH: UserSearch = {
  q: '',
  in: 'username',
  active: 'any',
  admin: 'any',
  from: '',
  to: '',
  sort: 'username',
  dir: 'asc',
  page: 1,
  size: 50,
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const oneOf = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback;

/** Reads the state from query parameters; anything missing or malformed takes its default. */
export function parseUserSearch(params: URLSearchParams): UserSearch {
  const page = Number(params.get('page'));
  const size = Number(params.get('size'));
  const day = (v: string | null) => (v && DAY.test(v) && !Number.isNaN(Date.parse(v)) ? v : '');
  return {
    q: (params.get('q') ?? '').slice(0, 254),
    in: oneOf(params.get('in'), ['username', 'email'], DEFAULT_SEARCH.in),
    active: oneOf(params.get('active'), ['any', 'yes', 'no'], 'any'),
    admin: oneOf(params.get('admin'), ['any', 'yes', 'no'], 'any'),
    from: day(params.get('from')),
    to: day(params.get('to')),
    sort: oneOf(params.get('sort'), USER_SORTABLE, DEFAULT_SEARCH.sort),
    dir: oneOf(params.get('dir'), ['asc', 'desc'], DEFAULT_SEARCH.dir),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_SEARCH.size,
  };
}

/** Query parameters for a state: only what differs from the defaults, so URLs stay short. */
export function userSearchParams(search: UserSearch): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULT_SEARCH) as (keyof UserSearch)[]) {
    const value = search[key];
    if (value !== DEFAULT_SEARCH[key] && value !== '') params.set(key, String(value));
  }
  return params;
}

/** The search term as an `ilike` prefix pattern, its own `%`, `_` and `\\` matching themselves. */
export function prefixPattern(term: string): string | undefined {
  const t = term.trim();
  return t ? `${escapeLike(t)}%` : undefined;
}

/** Start of a local day as an ISO timestamp; `plusDays` 1 gives the start of the next day. */
function localDay(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays).toISOString();
}

export const USER_LIST_FIELDS = [
  'uuid',
  'username',
  'email',
  'fullName',
  'isAdmin',
  'isActive',
  'createdAt',
  'lastLoginAt',
] as const;

/** The `users.list` call for a state: one page, with the total. */
export function userListInput(search: UserSearch): UserListInput {
  const filters: NonNullable<UserListInput['filters']> = [];
  const pattern = prefixPattern(search.q);
  if (pattern) filters.push([search.in, 'ilike', pattern]);
  if (search.active !== 'any') filters.push(['isActive', '=', search.active === 'yes']);
  if (search.admin !== 'any') filters.push(['isAdmin', '=', search.admin === 'yes']);
  if (search.from) filters.push(['createdAt', '>=', localDay(search.from)]);
  if (search.to) filters.push(['createdAt', '<', localDay(search.to, 1)]);
  return {
    filters,
    order: [{ field: search.sort, dir: search.dir }],
    limit: search.size,
    offset: (search.page - 1) * search.size,
    count: true,
    select: [...USER_LIST_FIELDS],
  };
}
