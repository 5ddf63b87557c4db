import { UUID_TYPES, Uuid } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { queries } from './api';

export type PrincipalKind = 'user' | 'group';

/** What an Arvados-style uuid names, from its type infix. */
export function kindOf(uuid: string): PrincipalKind | null {
  const infix = uuid.slice(6, 11);
  if (infix === UUID_TYPES.user) return 'user';
  if (infix === UUID_TYPES.group) return 'group';
  return null;
}

/** The page an object's uuid leads to, if the console has one. */
export function pathOf(uuid: string): string | null {
  const kind = kindOf(uuid);
  return kind === 'user' ? `/users/${uuid}` : kind === 'group' ? `/groups/${uuid}` : null;
}

/**
 * Display names of the users and groups a page of rows refers to, in one bounded query each
 * (`uuid in [...]`, limit = how many were asked). Unknown or unreadable uuids get no name.
 */
export function usePrincipalNames(uuids: readonly (string | null | undefined)[]) {
  const unique = [...new Set(uuids.filter((u): u is string => !!u))].sort();
  const userUuids = unique.filter((u) => kindOf(u) === 'user');
  const groupUuids = unique.filter((u) => kindOf(u) === 'group');
  const users = useQuery({
    ...queries.users({
      filters: [['uuid', 'in', userUuids]],
      limit: userUuids.length,
      select: ['uuid', 'username', 'email'],
    }),
    enabled: userUuids.length > 0,
  });
  const groups = useQuery({
    ...queries.groups({
      filters: [['uuid', 'in', groupUuids]],
      limit: groupUuids.length,
      select: ['uuid', 'name'],
    }),
    enabled: groupUuids.length > 0,
  });
  const names = new Map<string, string>();
  for (const u of users.data?.items ?? []) names.set(u.uuid, u.username ?? u.email ?? u.uuid);
  for (const g of groups.data?.items ?? []) if (g.name) names.set(g.uuid, g.name);
  return (uuid: string | null | undefined) => (uuid ? names.get(uuid) : undefined);
}

/**
 * A user named by username or by uuid, as a uuid: `undefined` for an empty text, `null` when no
 * user has that username. Any uuid passes as it is (an audit target may be a group or a token).
 */
export function useUuidOf(text: string): { uuid: string | null | undefined; pending: boolean } {
  const given = text.trim();
  const direct = given === '' || Uuid.safeParse(given).success;
  const lookup = useQuery({
    ...queries.users({ filters: [['username', '=', given]], limit: 1, select: ['uuid'] }),
    enabled: !direct,
  });
  if (given === '') return { uuid: undefined, pending: false };
  if (direct) return { uuid: given, pending: false };
  if (lookup.isPending || lookup.isPlaceholderData) return { uuid: undefined, pending: true };
  return { uuid: lookup.data?.items[0]?.uuid ?? null, pending: false };
}
