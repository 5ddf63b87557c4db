import { describe, expect, it } from 'vitest';
import { type ListSpec, likeToRegex, planList } from './list-query';

const spec: ListSpec = {
  fields: { name: { type: 'string', key: 'nameKey' }, age: { type: 'number' }, at: { type: 'date' } },
  tiebreak: 'id',
  defaultOrder: [{ field: 'age', dir: 'asc' }],
};
const req = { filters: [], order: [], limit: 10, offset: 0, count: false } as const;

describe('planList', () => {
  it('translates like patterns into anchored, escaped regexes, using the lowercased key for ilike', () => {
    const plan = planList(spec, { ...req, filters: [['name', 'ilike', 'A.b%']] });
    expect(plan.filter).toEqual({ $and: [{ nameKey: { $regex: '^a\\.b' } }] });
    const contains = planList(spec, { ...req, filters: [['name', 'like', '%x+%']] });
    expect(contains.filter).toEqual({ $and: [{ name: { $regex: 'x\\+' } }] });
  });

  it.each([
    ['abc%', '^abc'],
    ['%abc%', 'abc'],
    ['%abc', 'abc\\z'],
    ['abc', '^abc\\z'],
    ['a_c%', '^a[\\s\\S]c'],
    ['a\\_c%', '^a_c'],
    ['a\\%%', '^a%'],
    ['a\\\\%', '^a\\\\'],
    ['a%%%b', '^a[\\s\\S]*b\\z'],
    ['%', ''],
    ['a.*', '^a\\.\\*\\z'],
  ])('turns the like pattern %s into the regex %s', (pattern, regex) => {
    expect(likeToRegex(pattern)).toBe(regex);
  });

  it('ends every sort with the unique tiebreak and sorts text by its lowercased key', () => {
    expect(planList(spec, { ...req, order: [{ field: 'name', dir: 'desc' }] }).sort).toEqual({
      nameKey: -1,
      id: -1,
    });
  });

  it('builds keyset conditions after the last row, with nulls first in ascending order', () => {
    const plan = planList(spec, { ...req, order: [{ field: 'at', dir: 'asc' }] });
    const cursor = plan.cursorAfter({ at: null, id: 7 });
    const next = planList(spec, { ...req, order: [{ field: 'at', dir: 'asc' }], cursor });
    expect(next.filter).toEqual({
      $and: [{}, { $or: [{ at: { $ne: null } }, { at: null, id: { $gt: 7 } }] }],
    });
  });

  it('refuses a cursor made for another order', () => {
    const cursor = planList(spec, req).cursorAfter({ age: 3, id: 1 });
    expect(() => planList(spec, { ...req, order: [{ field: 'name', dir: 'asc' }], cursor })).toThrow(
      /another order/,
    );
  });
});
