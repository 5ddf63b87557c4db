import { ListGroupsInput, ListUsersInput } from '@roster/contracts';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../config';
import type { Deps } from '../../services/deps';
import { ListParams, render, translateList } from './list';
import { GROUP, USER } from './resources';

const params = (raw: Record<string, unknown>) => ListParams.parse(raw);
const deps = {
  config: testConfig(),
  wellKnown: { systemUser: 'zzzzz-tpzed-000000000000000' },
} as unknown as Deps;

describe('Arvados list parameters as the list vocabulary', () => {
  it('maps snake_case attributes, operators and boolean strings, from JSON-encoded query values', () => {
    const t = translateList(
      USER,
      params({
        filters:
          '[["username","=","a"],["is_active","=","t"],["created_at",">=","2024-01-01T00:00:00Z"],["email","<>",null]]',
        order: 'username desc, created_at',
        limit: '5',
        offset: '10',
        count: 'none',
      }),
    );
    expect(t).toMatchObject({
      filters: [
        ['username', '=', 'a'],
        ['isActive', '=', true],
        ['createdAt', '>=', '2024-01-01T00:00:00Z'],
        ['email', '!=', null],
      ],
      order: [
        { field: 'username', dir: 'desc' },
        { field: 'createdAt', dir: 'asc' },
      ],
      limit: 5,
      offset: 10,
      count: false,
    });
    // The result is valid input for the service's own contract.
    expect(ListUsersInput.safeParse(t).success).toBe(true);
  });

  it('turns where into equality and IN, and drops order entries it cannot use', () => {
    const t = translateList(
      USER,
      params({ where: { username: ['a', 'b'], email: 'x@y.z' }, order: ['prefs asc', 'bogus'] }),
    );
    expect(t.filters).toEqual([
      ['username', 'in', ['a', 'b']],
      ['email', '=', 'x@y.z'],
    ]);
    expect(t.order).toEqual([]);
  });

  it('evaluates is_a and constant attributes itself', () => {
    expect(translateList(USER, params({ filters: [['uuid', 'is_a', 'arvados#user']] })).filters).toEqual([]);
    expect(translateList(USER, params({ filters: [['uuid', 'is_a', ['arvados#group']]] })).filters).toEqual([
      ['uuid', 'in', []],
    ]);
    expect(
      translateList(GROUP, params({ filters: [['group_class', 'in', ['role', 'project']]] })).filters,
    ).toEqual([]);
    const none = translateList(
      GROUP,
      params({
        filters: [
          ['group_class', '=', 'project'],
          ['is_trashed', '=', false],
        ],
      }),
    );
    expect(none.filters).toEqual([['uuid', 'in', []]]);
    expect(ListGroupsInput.safeParse(none).success).toBe(true);
  });

  it('caps the limit at 1000, counts by default, and keeps selected attributes with kind', () => {
    const t = translateList(USER, params({ limit: 5000, select: '["uuid","full_name","owner_uuid"]' }));
    expect(t.limit).toBe(1000);
    expect(t.count).toBe(true);
    expect(t.select).toEqual(['uuid', 'fullName', 'ownerUuid']);
    expect(render(deps, USER, { uuid: 'zzzzz-tpzed-0123456789abcde', fullName: 'A B' }, t.attrs)).toEqual({
      kind: 'arvados#user',
      uuid: 'zzzzz-tpzed-0123456789abcde',
      full_name: 'A B',
      owner_uuid: 'zzzzz-tpzed-000000000000000',
    });
  });

  it('refuses unknown attributes, unknown operators, OR filters and bad numbers with 422s', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ filters: [['nope', '=', 1]] }, "Invalid attribute 'nope' in filter"],
      [{ filters: [['username', 'contains', 'x']] }, "Invalid operator 'contains'"],
      [{ filters: [[['username', 'email'], 'ilike', '%x%']] }, 'several attributes'],
      [{ filters: [['any', 'ilike', '%x%']] }, "Invalid attribute 'any'"],
      [{ select: ['nope'] }, "Invalid attribute 'nope' of User in select parameter"],
    ];
    for (const [raw, message] of cases) {
      expect(() => translateList(USER, params(raw)), message).toThrow(message);
    }
    expect(ListParams.safeParse({ limit: 'abc' }).error?.issues[0]?.message).toBe(
      'Invalid value for limit parameter',
    );
    expect(ListParams.safeParse({ count: 'sometimes' }).success).toBe(false);
  });
});
