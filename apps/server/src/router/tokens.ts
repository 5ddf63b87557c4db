import {
  ListTokensInput,
  TokenCreated,
  TokenCreateInput,
  TokenList,
  TokenRevokeAllInput,
  TokenRevokeInput,
  TokenView,
} from '@roster/contracts';
import { z } from 'zod';
import { forbidden } from '../lib/errors';
import * as tokens from '../services/tokens';
import { revokeAllTokens } from '../services/users';
import { activeProcedure, authedProcedure, router } from '../trpc';

export const tokensRouter = router({
  create: activeProcedure
    .input(TokenCreateInput)
    .output(TokenCreated)
    .mutation(({ ctx, input }) => tokens.createApiToken(ctx.deps, ctx.actor, input, ctx.meta)),

  /** Own tokens and sessions; admins may filter on another user's uuid. */
  list: authedProcedure
    .input(ListTokensInput)
    .output(TokenList)
    .query(({ ctx, input }) => tokens.listTokens(ctx.deps, ctx.actor, input)),

  revoke: authedProcedure
    .input(TokenRevokeInput)
    .output(TokenView)
    .mutation(({ ctx, input }) => tokens.revokeToken(ctx.deps, ctx.actor, input.uuid)),

  /** Revokes all of a user's tokens and sessions (by default, all but the one making the request). */
  revokeAll: authedProcedure
    .input(TokenRevokeAllInput)
    .output(z.object({ revoked: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const userUuid = input.userUuid ?? ctx.actor.user.uuid;
      if (userUuid !== ctx.actor.user.uuid && !ctx.actor.user.isAdmin) throw forbidden();
      const except =
        input.exceptCurrent && userUuid === ctx.actor.user.uuid ? ctx.actor.token?.uuid : undefined;
      return { revoked: await revokeAllTokens(ctx.deps, userUuid, { except, kind: input.kind }) };
    }),
});
