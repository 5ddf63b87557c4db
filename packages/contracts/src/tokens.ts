import { z } from 'zod';
import { Timestamp, TokenUuid, text, UserUuid } from './common';
import { listInput, listOutput } from './list';

export const TokenKind = z.enum(['api', 'session']);

/**
 * Scopes follow Arvados: "all", or "METHOD /path" matching a request exactly, or as a prefix
 * when it ends in "/". tRPC procedures are addressed as "trpc:users.get" or "trpc:users." (prefix).
 */
export const Scope = z
  .string()
  .max(256)
  .regex(
    /^(all|(GET|POST|PUT|PATCH|DELETE) \/\S*|trpc:[a-zA-Z.]*)$/,
    'must be "all", "METHOD /path" or "trpc:procedure"',
  );

export const TokenCreateInput = z.object({
  label: text(128).default(''),
  scopes: z.array(Scope).min(1).max(50).default(['all']),
  /** Absolute expiry; omit for a token that does not expire. */
  expiresAt: Timestamp.optional(),
  /** Admins may create a token for another user. */
  userUuid: UserUuid.optional(),
});

export const TokenView = z.object({
  uuid: TokenUuid,
  userUuid: UserUuid,
  kind: TokenKind,
  label: z.string(),
  scopes: z.array(z.string()),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  createdByIp: z.string().nullable(),
  /** The User-Agent of the sign-in that made a session (or of the request that made a token). */
  createdByUserAgent: z.string().nullable(),
  lastUsedByIp: z.string().nullable(),
  /** True for the token or session that made this request. */
  current: z.boolean(),
});
export type TokenView = z.infer<typeof TokenView>;

/** Returned once, at creation: the only time the secret leaves the server. */
export const TokenCreated = z.object({
  token: TokenView,
  secret: z.string().regex(/^v2\/[a-z0-9-]+\/[a-z0-9]+$/),
});

export const ListTokensInput = listInput({
  filterable: {
    uuid: 'uuid',
    userUuid: 'uuid',
    kind: 'string',
    label: 'string',
    createdAt: 'date',
    expiresAt: 'date',
    lastUsedAt: 'date',
  },
  sortable: ['createdAt', 'lastUsedAt', 'expiresAt', 'uuid'],
  selectable: Object.keys(TokenView.shape) as [keyof TokenView, ...(keyof TokenView)[]],
});
export const TokenList = listOutput(TokenView.partial().required({ uuid: true }));

export const TokenRevokeInput = z.object({ uuid: TokenUuid });
export const TokenRevokeAllInput = z.object({
  userUuid: UserUuid.optional(),
  /** Keep the token or session making this request. */
  exceptCurrent: z.boolean().default(true),
  kind: TokenKind.optional(),
});
