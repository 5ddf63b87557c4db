import { z } from 'zod';
import { Prefs, Timestamp, text, UserUuid, Uuid } from './common';
import { listInput, listOutput } from './list';

/** Arvados's rule: a letter, then letters and digits. */
export const Username = z
  .string()
  .min(1, 'is required')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must start with a letter and contain only letters and digits');

export const Email = z.email('must be a valid email address').max(254);

/** A new password. The server may enforce a stricter configured policy on top. */
export const NewPassword = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');

/** A password being presented: never reveal the policy while checking one. */
export const PresentedPassword = z.string().max(1024);

const Name = text(128);

export const UserView = z.object({
  uuid: UserUuid,
  id: z.number().int().positive(),
  username: z.string().nullable(),
  email: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  fullName: z.string(),
  isAdmin: z.boolean(),
  isActive: z.boolean(),
  isInvited: z.boolean(),
  canWrite: z.boolean(),
  canManage: z.boolean(),
  // The fields below are shown to the user themself and to admins; other users see only the ones above.
  identityUrl: z.string().nullable().optional(),
  prefs: Prefs.optional(),
  groups: z.array(z.number().int()).optional(),
  ownerUuid: Uuid.optional(),
  writableBy: z.array(Uuid).optional(),
  createdAt: Timestamp.optional(),
  modifiedAt: Timestamp.optional(),
  modifiedByUserUuid: Uuid.nullable().optional(),
  lastLoginAt: Timestamp.nullable().optional(),
  passwordChangedAt: Timestamp.nullable().optional(),
  passwordExpiresAt: Timestamp.nullable().optional(),
  etag: z.string().optional(),
  /** Admin-only: set by a merge with redirect. */
  redirectToUserUuid: Uuid.nullable().optional(),
});
export type UserView = z.infer<typeof UserView>;

/** The fields any signed-in user may see of another active user (Arvados's safe attributes). */
export const PUBLIC_USER_FIELDS = [
  'uuid',
  'id',
  'username',
  'email',
  'firstName',
  'lastName',
  'fullName',
  'isAdmin',
  'isActive',
  'isInvited',
  'canWrite',
  'canManage',
] as const satisfies readonly (keyof UserView)[];

export const USER_FIELDS = Object.keys(UserView.shape) as [keyof UserView, ...(keyof UserView)[]];

/** `select`ed list items carry only the fields asked for (plus uuid). */
export const UserListItem = UserView.partial().required({ uuid: true });
export type UserListItem = z.infer<typeof UserListItem>;

export const UserCreateInput = z.object({
  username: Username.optional(),
  email: Email,
  password: NewPassword.optional(),
  firstName: Name.optional(),
  lastName: Name.optional(),
  identityUrl: text(512).optional(),
  isAdmin: z.boolean().default(false),
  isActive: z.boolean().optional(),
  prefs: Prefs.default({}),
});
export type UserCreateInput = z.infer<typeof UserCreateInput>;

/** Everything a user may change on themself; admins may also change the admin-only fields. */
export const UserUpdatePatch = z
  .object({
    firstName: Name.nullable(),
    lastName: Name.nullable(),
    email: Email,
    prefs: Prefs,
    // Admin-only:
    username: Username,
    identityUrl: text(512).nullable(),
    isAdmin: z.boolean(),
    isActive: z.boolean(),
    passwordExpiresAt: Timestamp.nullable(),
  })
  .partial();
export const ADMIN_ONLY_USER_FIELDS = [
  'username',
  'identityUrl',
  'isAdmin',
  'isActive',
  'passwordExpiresAt',
] as const;

export const UserUpdateInput = z.object({
  uuid: UserUuid,
  patch: UserUpdatePatch,
  /** Optimistic concurrency: refuse the update if the record changed since this etag was read. */
  ifMatch: z.string().max(64).optional(),
});
export type UserUpdateInput = z.infer<typeof UserUpdateInput>;

export const UserRef = z.object({ uuid: UserUuid });

export const ChangePasswordInput = z.object({
  oldPassword: PresentedPassword,
  newPassword: NewPassword,
});

/** An admin sets a user's password; by default the user must change it at the next sign-in. */
export const ResetPasswordInput = z.object({
  uuid: UserUuid,
  newPassword: NewPassword,
  mustChange: z.boolean().default(true),
  unlock: z.boolean().default(true),
});
export const ResetPasswordResult = z.object({
  user: UserView,
  /** Sessions and tokens of the user that the reset ended. */
  revoked: z.number().int(),
  /** Whether a lockout was cleared. */
  unlocked: z.boolean(),
});

/** Deleting one's own account takes the password again, as Dioptra's DELETE /users/current does. */
export const DeleteSelfInput = z.object({ password: PresentedPassword });

/** Fields users.list may sort on; each has an index. */
export const USER_SORTABLE = [
  'username',
  'email',
  'createdAt',
  'modifiedAt',
  'lastLoginAt',
  'id',
  'uuid',
  'lastName',
] as const;

export const ListUsersInput = listInput({
  filterable: {
    uuid: 'uuid',
    id: 'number',
    username: 'string',
    email: 'string',
    firstName: 'string',
    lastName: 'string',
    isAdmin: 'boolean',
    isActive: 'boolean',
    createdAt: 'date',
    modifiedAt: 'date',
    lastLoginAt: 'date',
  },
  sortable: USER_SORTABLE,
  selectable: USER_FIELDS,
});
export type ListUsersInput = z.input<typeof ListUsersInput>;

export const UserList = listOutput(UserListItem);

export const LockoutView = z.object({
  locked: z.boolean(),
  lockedUntil: Timestamp.nullable(),
  failedAttempts: z.number().int(),
  /** How many lockouts in a row; each doubles the wait. */
  lockouts: z.number().int(),
});
export type UserList = z.infer<typeof UserList>;
