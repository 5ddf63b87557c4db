import {
  ComputedPermissionList,
  ComputedPermissionsInput,
  GrantInput,
  LinkList,
  LinkView,
  ListLinksInput,
  RevokeInput,
} from '@roster/contracts';
import * as grants from '../services/grants';
import { activeProcedure, adminProcedure, router } from '../trpc';

/** Membership and sharing: permission links from a user or group to a user or group. */
export const permissionsRouter = router({
  grant: activeProcedure
    .input(GrantInput)
    .output(LinkView)
    .mutation(({ ctx, input }) => grants.grant(ctx.deps, ctx.actor, input)),
  revoke: activeProcedure
    .input(RevokeInput)
    .output(LinkView)
    .mutation(({ ctx, input }) => grants.revoke(ctx.deps, ctx.actor, input)),
  list: activeProcedure
    .input(ListLinksInput)
    .output(LinkList)
    .query(({ ctx, input }) => grants.listLinks(ctx.deps, ctx.actor, input)),
  computed: adminProcedure
    .input(ComputedPermissionsInput)
    .output(ComputedPermissionList)
    .query(({ ctx, input }) => grants.computedPermissions(ctx.deps, input)),
});
