import { z } from 'zod';
import { Timestamp, text, UserUuid, Uuid } from './common';
import { LinkView } from './groups';
import { listInput, listOutput, pagedInput } from './list';
import { UserCreateInput, UserView } from './users';

export const SetupInput = z.union([z.object({ uuid: UserUuid }), z.object({ user: UserCreateInput })]);
export const SetupResult = z.object({ user: UserView, links: z.array(LinkView) });

export const ActivateInput = z.object({ uuid: UserUuid.optional() }).default({});

export const MergeInput = z.union([
  z.object({
    /** The caller is the old user; this token proves they also own the new one. */
    newUserToken: z.string().min(1).max(512),
    newOwnerUuid: Uuid,
    redirectToNewUser: z.boolean().default(false),
  }),
  z.object({
    oldUserUuid: UserUuid,
    newUserUuid: UserUuid,
    newOwnerUuid: Uuid,
    redirectToNewUser: z.boolean().default(false),
  }),
]);

export const AgreementView = z.object({
  uuid: Uuid,
  title: z.string(),
  text: z.string(),
  version: z.string(),
  required: z.boolean(),
  createdAt: Timestamp,
  signedByMe: z.boolean(),
});
export const AgreementPublishInput = z.object({
  title: text(255).pipe(z.string().min(1, 'is required')),
  text: text(100_000).pipe(z.string().min(1, 'is required')),
  version: text(64).pipe(z.string().min(1, 'is required')),
  required: z.boolean().default(true),
});
export const AgreementRef = z.object({ uuid: Uuid });
export const AgreementSignature = z.object({
  userUuid: Uuid,
  username: z.string().nullable(),
  signedAt: Timestamp,
});
export type AgreementSignature = z.infer<typeof AgreementSignature>;
/** The signatures of one agreement, newest first, a page at a time. */
export const ListSignaturesInput = pagedInput({ uuid: Uuid });
export const SignatureList = listOutput(AgreementSignature);

export const AuditEventView = z.object({
  uuid: Uuid,
  at: Timestamp,
  actorUuid: Uuid.nullable(),
  action: z.string(),
  targetUuid: z.string().nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  errorCode: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;
export const ListAuditInput = listInput({
  filterable: {
    uuid: 'uuid',
    actorUuid: 'uuid',
    targetUuid: 'string',
    action: 'string',
    outcome: 'string',
    at: 'date',
  },
  sortable: ['at'],
  selectable: Object.keys(AuditEventView.shape) as [keyof AuditEventView, ...(keyof AuditEventView)[]],
});
export const AuditList = listOutput(AuditEventView.partial().required({ uuid: true }));
