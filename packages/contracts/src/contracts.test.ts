import { describe, expect, it } from 'vitest';
import { ListSignaturesInput, ListUsersInput, Prefs, TokenCreateInput, Username, UserUuid } from './index';

describe('Username', () => {
  it('accepts what Arvados accepts and refuses the rest', () => {
    for (const ok of ['a', 'aa', 'a0', 'aA', 'Aa', 'AA', 'A0'])
      expect(Username.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0a', '', 'a.b', 'a-b', 'a_b', 'a/b', 'a!', 'a@', 'a#', 'a b', 'x'.repeat(65)]) {
      expect(Username.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('Prefs', () => {
  it('takes any JSON object whose keys MongoDB can store', () => {
    expect(Prefs.safeParse({ theme: 'dark', nested: { list: [1, 'two', { ok: true }] } }).success).toBe(true);
  });

  it('names every key that cannot be stored', () => {
    const r = Prefs.safeParse({ 'a.b': 1, $set: 2, ok: { '': 3 }, arr: [[1]] });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => i.message).join('\n');
    expect(messages).toContain('"a.b"');
    expect(messages).toContain('"$set"');
    expect(messages).toContain('key "" in ok');
    expect(messages).toContain('arr[0] is an array inside an array');
  });

  it('refuses non-objects and oversized documents', () => {
    expect(Prefs.safeParse([1]).success).toBe(false);
    expect(Prefs.safeParse('x').success).toBe(false);
    expect(Prefs.safeParse({ big: 'x'.repeat(20_000) }).success).toBe(false);
  });
});

describe('the list vocabulary', () => {
  it('fills defaults: no filters, limit 100, offset 0, no count', () => {
    expect(ListUsersInput.parse({})).toEqual({ filters: [], order: [], limit: 100, offset: 0, count: false });
  });

  it('checks each operand against its field and operator', () => {
    const bad = (filters: unknown) => ListUsersInput.safeParse({ filters }).success;
    expect(bad([['isAdmin', '=', true]])).toBe(true);
    expect(bad([['isAdmin', '<', true]])).toBe(false);
    expect(bad([['createdAt', '>', 'not a date']])).toBe(false);
    expect(bad([['username', 'in', 'alice']])).toBe(false);
    expect(bad([['username', 'like', 'a%b_%']])).toBe(true);
    expect(bad([['username', 'like', 'ends with a lone \\']])).toBe(false);
    expect(bad([['username', 'like', 'escaped \\\\']])).toBe(true);
    // One % inside at most (a catastrophic-backtracking guard), escaped ones not counted.
    expect(bad([['username', 'like', '%a%b%']])).toBe(true);
    expect(bad([['username', 'like', '%a%b%c%']])).toBe(false);
    expect(bad([['username', 'like', 'a\\%b\\%c%d']])).toBe(true);
    expect(bad([['username', 'like', `${'a'.repeat(257)}%`]])).toBe(false);
    expect(bad([['username', 'ilike', '%ali%']])).toBe(true);
    expect(bad([['id', 'like', '1%']])).toBe(false);
    expect(bad([['passwordHash', '=', 'x']])).toBe(false);
    expect(bad([['lastLoginAt', 'exists', true]])).toBe(true);
  });

  it('caps the limit at 1000 and refuses a cursor together with an offset', () => {
    expect(ListUsersInput.safeParse({ limit: 1001 }).success).toBe(false);
    const both = ListUsersInput.safeParse({ cursor: 'abc', offset: 5 });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]!.path).toEqual(['cursor']);
  });

  it('gives a list of one parent the same page controls, and no filters or order', () => {
    const uuid = 'zzzzz-4zz18-000000000000000';
    expect(ListSignaturesInput.parse({ uuid })).toEqual({ uuid, limit: 100, offset: 0, count: false });
    expect(ListSignaturesInput.safeParse({ uuid, limit: 1001 }).success).toBe(false);
    expect(ListSignaturesInput.safeParse({ uuid, cursor: 'abc', offset: 5 }).error!.issues[0]!.path).toEqual([
      'cursor',
    ]);
    expect(ListSignaturesInput.safeParse({ limit: 10 }).error!.issues[0]!.path).toEqual(['uuid']);
  });
});

describe('identifiers and scopes', () => {
  it('tells a user uuid from other uuids', () => {
    expect(UserUuid.safeParse('zzzzz-tpzed-000000000000000').success).toBe(true);
    expect(UserUuid.safeParse('zzzzz-j7d0g-000000000000000').success).toBe(false);
    expect(UserUuid.safeParse('ZZZZZ-tpzed-000000000000000').success).toBe(false);
  });

  it('accepts Arvados and tRPC scopes and defaults to all', () => {
    expect(TokenCreateInput.parse({}).scopes).toEqual(['all']);
    expect(TokenCreateInput.safeParse({ scopes: ['GET /arvados/v1/users/', 'trpc:users.'] }).success).toBe(
      true,
    );
    expect(TokenCreateInput.safeParse({ scopes: ['everything'] }).success).toBe(false);
  });
});
