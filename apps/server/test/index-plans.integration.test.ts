import { USER_SORTABLE } from '@roster/contracts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { planList } from '../src/lib/list-query';
import { DIRECT_MEMBERS, directMembersFilter } from '../src/services/groups';
import { USER_LIST } from '../src/services/users';
import { startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
let genuine = false;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
  // The embedded server has no `explain`; only a genuine MongoDB can show its plans.
  genuine = await server.connection.db!.command({ explain: { count: 'users' } }).then(
    () => true,
    () => false,
  );
  if (!genuine)
    console.info(
      'index-plan check skipped: the database is not a genuine MongoDB (set MONGODB_URI to run it)',
    );
});
afterAll(() => server.close());

function stages(plan: unknown): string[] {
  if (!plan || typeof plan !== 'object') return [];
  const p = plan as Record<string, unknown>;
  return [
    ...(typeof p.stage === 'string' ? [p.stage] : []),
    ...stages(p.inputStage),
    ...((p.inputStages as unknown[]) ?? []).flatMap(stages),
  ];
}

describe('every allowed user filter and sort is served by an index', () => {
  const filterable = Object.keys(USER_LIST.fields);

  for (const field of filterable) {
    it(`filter on ${field}`, async (t) => {
      if (!genuine) t.skip();
      const type = USER_LIST.fields[field]!.type;
      const operand =
        type === 'boolean' ? true : type === 'number' ? 1 : type === 'date' ? new Date().toISOString() : 'x';
      const plan = planList(USER_LIST, {
        filters: [[field, '=', operand]],
        order: [],
        limit: 50,
        offset: 0,
        count: false,
      });
      const explained = await server.deps.models.User.find(plan.filter)
        .sort(plan.sort)
        .limit(50)
        .explain('queryPlanner');
      const winning = (explained as unknown as { queryPlanner: { winningPlan: unknown } }).queryPlanner
        .winningPlan;
      expect(stages(winning)).not.toContain('COLLSCAN');
    });
  }
  for (const field of USER_SORTABLE) {
    it(`sort on ${field}`, async (t) => {
      if (!genuine) t.skip();
      const plan = planList(USER_LIST, {
        filters: [],
        order: [{ field, dir: 'desc' }],
        limit: 50,
        offset: 0,
        count: false,
      });
      const explained = await server.deps.models.User.find(plan.filter)
        .sort(plan.sort)
        .limit(50)
        .explain('queryPlanner');
      const winning = (explained as unknown as { queryPlanner: { winningPlan: unknown } }).queryPlanner
        .winningPlan;
      expect(stages(winning)).not.toContain('COLLSCAN');
      expect(stages(winning)).not.toContain('SORT');
    });
  }
});

describe("a group's direct members are paged by an index", () => {
  it('filter on the group, sorted by the time they were added', async (t) => {
    if (!genuine) t.skip();
    const plan = planList(
      DIRECT_MEMBERS,
      { filters: [], order: [], limit: 50, offset: 100, count: true },
      directMembersFilter(server.deps.wellKnown.allUsersGroup),
    );
    const explained = await server.deps.models.Link.find(plan.filter)
      .sort(plan.sort)
      .skip(plan.skip)
      .limit(plan.limit)
      .explain('queryPlanner');
    const winning = (explained as unknown as { queryPlanner: { winningPlan: unknown } }).queryPlanner
      .winningPlan;
    expect(stages(winning)).not.toContain('COLLSCAN');
    expect(stages(winning)).not.toContain('SORT');
  });
});
