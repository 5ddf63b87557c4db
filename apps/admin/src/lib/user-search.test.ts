import { ListUsersInput } from '@roster/contracts';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEARCH,
  parseUserSearch,
  prefixPattern,
  userListInput,
  userSearchParams,
} from './user-search';

describe('the users table URL state', () => {
  it('reads defaults from an empty query and ignores malformed values', () => {
    expect(parseUserSearch(new URLSearchParams())).toEqual(DEFAULT_SEARCH);
    const odd = parseUserSearch(
      new URLSearchParams('page=-3&size=7&sort=passwordHash&dir=up&active=maybe&from=yesterday&in=groups'),
    );
    expect(odd).toEqual(DEFAULT_SEARCH);
  });

  it('round-trips through query parameters, writing only what differs from the defaults', () => {
    const search = {
      ...DEFAULT_SEARCH,
      q: 'ali',
      in: 'email' as const,
      active: 'no' as const,
      from: '2025-01-31',
      sort: 'createdAt' as const,
      dir: 'desc' as const,
      page: 3,
      size: 25,
    };
    const params = userSearchParams(search);
    expect(params.toString()).toBe(
      'q=ali&in=email&active=no&from=2025-01-31&sort=createdAt&dir=desc&page=3&size=25',
    );
    expect(parseUserSearch(params)).toEqual(search);
    expect(userSearchParams(DEFAULT_SEARCH).toString()).toBe('');
  });

  it('makes a prefix pattern the API accepts, whatever the term holds', () => {
    expect(prefixPattern(' Ali ')).toBe('Ali%');
    expect(prefixPattern('john_doe@x')).toBe('john\\_doe@x%');
    expect(prefixPattern('%')).toBe('\\%%');
    expect(prefixPattern('')).toBeUndefined();
  });

  it('turns every filter into a users.list input the contract accepts', () => {
    const input = userListInput({
      ...DEFAULT_SEARCH,
      q: 'bo',
      active: 'yes',
      admin: 'no',
      from: '2025-03-01',
      to: '2025-03-31',
      page: 2,
      size: 25,
    });
    expect(ListUsersInput.safeParse(input).success).toBe(true);
    expect(input.offset).toBe(25);
    expect(input.limit).toBe(25);
    expect(input.count).toBe(true);
    const filters = input.filters ?? [];
    expect(filters.slice(0, 3)).toEqual([
      ['username', 'ilike', 'bo%'],
      ['isActive', '=', true],
      ['isAdmin', '=', false],
    ]);
    const [from, to] = [filters[3]!, filters[4]!];
    expect(from[1]).toBe('>=');
    expect(to[1]).toBe('<');
    // The "to" day is included: the bound is the start of the next local day.
    expect(new Date(to[2] as string).getTime() - new Date(2025, 2, 31).getTime()).toBe(86_400_000);
  });
});
