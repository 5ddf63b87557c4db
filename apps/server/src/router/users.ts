import {
  ActivateInput,
  ChangePasswordInput,
  DeleteSelfInput,
  ListUsersInput,
  LockoutView,
  MergeInput,
  ResetPasswordInput,
  ResetPasswordResult,
  SetupInput,
  SetupResult,
  UserCreateInput,
  UserList,
  UserRef,
  UserUpdateInput,
  UserView,
} from '@roster/contracts';
import { z } from 'zod';
import { notFound } from '../lib/errors';
import * as lifecycle from '../services/lifecycle';
import { clearLockout, lockoutStatus } from '../services/lockout';
import { resetPassword } from '../services/password-reset';
import { viewUser } from '../services/user-view';
import * as users from '../services/users';
import { activeProcedure, adminProcedure, authedProcedure, router } from '../trpc';

export const usersRouter = router({
  current: authedProcedure.output(UserView).query(({ ctx }) => viewUser(ctx.deps, ctx.actor, ctx.actor.user)),

  system: activeProcedure.output(UserView).query(async ({ ctx }) => {
    const user = await users.findUser(ctx.deps, ctx.deps.wellKnown.systemUser);
    if (!user) throw notFound('system user');
    return viewUser(ctx.deps, ctx.actor, user);
  }),

  get: activeProcedure
    .input(UserRef)
    .output(UserView)
    .query(({ ctx, input }) => users.getUser(ctx.deps, ctx.actor, input.uuid)),

  list: activeProcedure
    .input(ListUsersInput)
    .output(UserList)
    .query(({ ctx, input }) => users.listUsers(ctx.deps, ctx.actor, input)),

  create: adminProcedure
    .input(UserCreateInput)
    .output(UserView)
    .mutation(async ({ ctx, input }) => {
      const user = await users.createUser(ctx.deps, ctx.actor, input, { source: 'admin' });
      return viewUser(ctx.deps, ctx.actor, user);
    }),

  /** Self: names, email, prefs. Admins: every field. Inactive users may edit only themselves. */
  update: authedProcedure
    .input(UserUpdateInput)
    .output(UserView)
    .mutation(({ ctx, input }) => users.updateUser(ctx.deps, ctx.actor, input)),

  delete: adminProcedure
    .input(UserRef)
    .output(UserView)
    .mutation(({ ctx, input }) => users.deleteUser(ctx.deps, ctx.actor, input.uuid)),

  /** Admin: a new password for a user, ending their sessions; expired at once unless told otherwise. */
  resetPassword: adminProcedure
    .input(ResetPasswordInput)
    .output(ResetPasswordResult)
    .mutation(async ({ ctx, input }) => {
      const user = await users.readableUser(ctx.deps, ctx.actor, input.uuid);
      const result = await resetPassword(ctx.deps, user, input.newPassword, {
        by: ctx.actor.user.uuid,
        mustChange: input.mustChange,
        unlock: input.unlock,
        keepToken: user.uuid === ctx.actor.user.uuid ? ctx.actor.token?.uuid : undefined,
      });
      return { ...result, user: await viewUser(ctx.deps, ctx.actor, result.user) };
    }),

  /** Self: delete one's own account with the password; the session ends with it. */
  deleteSelf: authedProcedure
    .input(DeleteSelfInput)
    .output(UserView)
    .mutation(async ({ ctx, input }) => {
      const view = await users.deleteSelf(ctx.deps, ctx.actor, input.password);
      ctx.cookies.clear();
      return view;
    }),

  changePassword: authedProcedure
    .input(ChangePasswordInput)
    .output(UserView)
    .mutation(({ ctx, input }) =>
      users.changePassword(ctx.deps, ctx.actor, input.oldPassword, input.newPassword),
    ),

  /** Admin: whether a user is locked out by failed logins. */
  lockout: adminProcedure
    .input(UserRef)
    .output(LockoutView)
    .query(async ({ ctx, input }) => {
      await users.readableUser(ctx.deps, ctx.actor, input.uuid);
      return lockoutStatus(ctx.deps, input.uuid);
    }),

  unlock: adminProcedure
    .input(UserRef)
    .output(z.object({ cleared: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await users.readableUser(ctx.deps, ctx.actor, input.uuid);
      return { cleared: await clearLockout(ctx.deps, input.uuid) };
    }),

  /** Admin: set a user up (creating them if given a `user`); idempotent. */
  setup: adminProcedure
    .input(SetupInput)
    .output(SetupResult)
    .mutation(({ ctx, input }) => lifecycle.setupUser(ctx.deps, ctx.actor, input)),

  /** Self (when invited and every required agreement is signed) or admin. */
  activate: authedProcedure
    .input(ActivateInput)
    .output(UserView)
    .mutation(({ ctx, input }) => lifecycle.activateUser(ctx.deps, ctx.actor, input.uuid)),

  unsetup: adminProcedure
    .input(UserRef)
    .output(UserView)
    .mutation(({ ctx, input }) => lifecycle.unsetupUser(ctx.deps, ctx.actor, input.uuid)),

  /** By the old user with the new user's token, or by an admin with both uuids. Returns the old record. */
  merge: authedProcedure
    .input(MergeInput)
    .output(UserView)
    .mutation(({ ctx, input }) => lifecycle.mergeUsers(ctx.deps, ctx.actor, input)),
});
