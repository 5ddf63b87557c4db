import {
  AgreementPublishInput,
  AgreementRef,
  AgreementView,
  ListSignaturesInput,
  SignatureList,
} from '@roster/contracts';
import { z } from 'zod';
import * as lifecycle from '../services/lifecycle';
import { adminProcedure, authedProcedure, router } from '../trpc';

/** User agreements that must be signed before a user can activate (Arvados). */
export const agreementsRouter = router({
  publish: adminProcedure
    .input(AgreementPublishInput)
    .output(AgreementView)
    .mutation(({ ctx, input }) => lifecycle.publishAgreement(ctx.deps, input)),
  // Inactive users list and sign agreements on their way to activation.
  list: authedProcedure
    .output(z.array(AgreementView))
    .query(({ ctx }) => lifecycle.listAgreements(ctx.deps, ctx.actor)),
  sign: authedProcedure
    .input(AgreementRef)
    .output(AgreementView)
    .mutation(({ ctx, input }) => lifecycle.signAgreement(ctx.deps, ctx.actor, input.uuid)),
  signatures: adminProcedure
    .input(ListSignaturesInput)
    .output(SignatureList)
    .query(({ ctx, input }) => lifecycle.agreementSignatures(ctx.deps, input)),
});
