import { escapeLike, Uuid } from '@roster/contracts';
import type { AuditListInput } from './api';
import { oneOf, pageParam } from './url-state';

export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export const AUDIT_PAGE_SIZES = [25, 50, 100] as const;

/** The audit log's filters, page and order, as they live in the address. */
export const AUDIT_DEFAULTS = {
  /** A username or a uuid. */
  actor: '',
  /** A procedure, or the start of one ("users." for every users procedure). */
  action: '',
  outcome: 'any' as 'any' | (typeof OUTCOMES)[number],
  /** A username or the uuid of any object. */
  target: '',
  /** `datetime-local` values, local time, to the minute; both ends included. */
  from: '',
  to: '',
  dir: 'desc' as 'asc' | 'desc',
  page: 1,
  size: 50 as number,
};
export type AuditSearch = typeof AUDIT_DEFAULTS;

const LOCAL_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const minute = (v: string | null) => (v && LOCAL_MINUTE.test(v) && !Number.isNaN(Date.parse(v)) ? v : '');

export function parseAuditSearch(params: URLSearchParams): AuditSearch {
  const size = Number(params.get('size'));
  return {
    actor: (params.get('actor') ?? '').trim().slice(0, 254),
    action: (params.get('action') ?? '').trim().slice(0, 128),
    outcome: oneOf(params.get('outcome'), ['any', ...OUTCOMES], 'any'),
    target: (params.get('target') ?? '').trim().slice(0, 254),
    from: minute(params.get('from')),
    to: minute(params.get('to')),
    dir: oneOf(params.get('dir'), ['asc', 'desc'], 'desc'),
    page: pageParam(params.get('page')),
    size: (AUDIT_PAGE_SIZES as readonly number[]).includes(size) ? size : AUDIT_DEFAULTS.size,
  };
}

export const isUuid = (text: string) => Uuid.safeParse(text).success;

/**
 * The `audit.list` call for a state, once its actor and target are uuids (looked up from
 * usernames by the page). One page, newest first unless asked otherwise, with the total.
 */
export function auditListInput(
  search: AuditSearch,
  resolved: { actorUuid?: string | undefined; targetUuid?: string | undefined },
): AuditListInput {
  const filters: NonNullable<AuditListInput['filters']> = [];
  if (resolved.actorUuid) filters.push(['actorUuid', '=', resolved.actorUuid]);
  if (resolved.targetUuid) filters.push(['targetUuid', '=', resolved.targetUuid]);
  if (search.action) filters.push(['action', 'ilike', `${escapeLike(search.action)}%`]);
  if (search.outcome !== 'any') filters.push(['outcome', '=', search.outcome]);
  if (search.from) filters.push(['at', '>=', new Date(search.from).toISOString()]);
  // The end is a minute: everything before the next one.
  if (search.to) filters.push(['at', '<', new Date(Date.parse(search.to) + 60_000).toISOString()]);
  return {
    filters,
    order: [{ field: 'at', dir: search.dir }],
    limit: search.size,
    offset: (search.page - 1) * search.size,
    count: true,
  };
}
