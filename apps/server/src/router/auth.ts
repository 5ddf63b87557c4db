import {
  ChangeExpiredPasswordInput,
  LoginInput,
  LoginResult,
  LogoutInput,
  LogoutResult,
  ServerInfo,
  SignupInput,
  UserCreateInput,
  UserView,
} from '@roster/contracts';
import { z } from 'zod';
import { csrfTokenFor } from '../context';
import { AppError } from '../lib/errors';
import * as auth from '../services/auth';
import { SETUP_TOKEN_LABEL } from '../services/bootstrap';
import { signupWithConflictBudget } from '../services/signup-guard';
import { viewUser } from '../services/user-view';
import { createUser } from '../services/users';
import { authedProcedure, publicProcedure, router } from '../trpc';

export const authRouter = router({
  info: publicProcedure.output(ServerInfo).query(({ ctx }) => ({
    clusterId: ctx.deps.config.clusterId,
    signupEnabled: ctx.deps.config.signupEnabled,
    version: '0.1.0',
  })),

  signup: publicProcedure
    .input(SignupInput)
    .output(UserView)
    .mutation(async ({ ctx, input }) => {
      const user = await signupWithConflictBudget(ctx.deps, input, ctx.meta);
      return viewUser(ctx.deps, { user, token: null, via: 'internal' }, user);
    }),

  login: publicProcedure
    .input(LoginInput)
    .output(LoginResult)
    .mutation(async ({ ctx, input }) => {
      const result = await auth.login(ctx.deps, input, ctx.meta);
      ctx.cookies.set(result.token, new Date(result.expiresAt));
      return { ...result, csrfToken: csrfTokenFor(result.token) };
    }),

  /** The CSRF token of the current cookie session, for a page that was reloaded. */
  session: authedProcedure
    .output(z.object({ csrfToken: z.string().nullable(), user: UserView }))
    .query(async ({ ctx }) => {
      const raw = ctx.actor.via === 'cookie' ? ctx.rawToken : null;
      return {
        csrfToken: raw ? csrfTokenFor(raw) : null,
        user: await viewUser(ctx.deps, ctx.actor, ctx.actor.user),
      };
    }),

  logout: authedProcedure
    .input(LogoutInput)
    .output(LogoutResult)
    .mutation(async ({ ctx, input }) => {
      const revoked = await auth.logout(ctx.deps, ctx.actor, input.everywhere);
      ctx.cookies.clear();
      return { revoked };
    }),

  changeExpiredPassword: publicProcedure
    .input(ChangeExpiredPasswordInput)
    .output(UserView)
    .mutation(({ ctx, input }) => auth.changeExpiredPassword(ctx.deps, input, ctx.meta)),

  /** Redeems the one-time setup token printed at first start: creates the first admin. */
  claimFirstAdmin: authedProcedure
    .input(
      UserCreateInput.pick({ username: true, email: true, firstName: true, lastName: true }).extend({
        password: SignupInput.shape.password,
      }),
    )
    .output(UserView)
    .mutation(async ({ ctx, input }) => {
      const token = ctx.actor.token;
      if (token?.label !== SETUP_TOKEN_LABEL || token.userUuid !== ctx.deps.wellKnown.systemUser) {
        throw new AppError(
          'FORBIDDEN',
          'FORBIDDEN',
          'This needs the one-time setup token printed at start-up',
        );
      }
      // Deleting first makes the token single-use even under concurrent claims.
      const { deletedCount } = await ctx.deps.models.Token.deleteOne({ uuid: token.uuid });
      ctx.deps.authCache.evictToken(token.secretHash);
      if (deletedCount !== 1)
        throw new AppError('UNAUTHORIZED', 'UNAUTHENTICATED', 'The setup token was already used');
      const user = await createUser(
        ctx.deps,
        null,
        { ...input, isAdmin: true, isActive: true, prefs: {} },
        { source: 'bootstrap' },
      );
      return viewUser(ctx.deps, { user, token: null, via: 'internal' }, user);
    }),
});
