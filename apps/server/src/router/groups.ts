import {
  GroupCreateInput,
  GroupList,
  GroupRef,
  GroupUpdateInput,
  GroupView,
  ListGroupsInput,
  MemberList,
  MembersInput,
} from '@roster/contracts';
import * as groups from '../services/groups';
import { activeProcedure, router } from '../trpc';

export const groupsRouter = router({
  create: activeProcedure
    .input(GroupCreateInput)
    .output(GroupView)
    .mutation(({ ctx, input }) => groups.createGroup(ctx.deps, ctx.actor, input)),
  get: activeProcedure
    .input(GroupRef)
    .output(GroupView)
    .query(({ ctx, input }) => groups.getGroup(ctx.deps, ctx.actor, input.uuid)),
  list: activeProcedure
    .input(ListGroupsInput)
    .output(GroupList)
    .query(({ ctx, input }) => groups.listGroups(ctx.deps, ctx.actor, input)),
  update: activeProcedure
    .input(GroupUpdateInput)
    .output(GroupView)
    .mutation(({ ctx, input }) => groups.updateGroup(ctx.deps, ctx.actor, input)),
  delete: activeProcedure
    .input(GroupRef)
    .output(GroupView)
    .mutation(({ ctx, input }) => groups.deleteGroup(ctx.deps, ctx.actor, input.uuid)),
  members: activeProcedure
    .input(MembersInput)
    .output(MemberList)
    .query(({ ctx, input }) => groups.members(ctx.deps, ctx.actor, input)),
});
