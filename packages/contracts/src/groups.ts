import { z } from 'zod';
import { GroupUuid, Timestamp, text, Uuid } from './common';
import { listInput, listOutput } from './list';

export const PermissionLevel = z.enum(['can_read', 'can_write', 'can_manage']);
export type PermissionLevel = z.infer<typeof PermissionLevel>;
export const PERMISSION_RANK: Record<PermissionLevel, number> = { can_read: 1, can_write: 2, can_manage: 3 };

export const GroupView = z.object({
  uuid: GroupUuid,
  id: z.number().int().positive(),
  name: z.string(),
  description: z.string(),
  groupClass: z.string(),
  ownerUuid: Uuid,
  createdAt: Timestamp,
  modifiedAt: Timestamp,
  modifiedByUserUuid: Uuid.nullable(),
  etag: z.string(),
  /** Built-in groups (system, All users) cannot be renamed or deleted. */
  builtIn: z.boolean(),
  writableBy: z.array(Uuid),
  canWrite: z.boolean(),
  canManage: z.boolean(),
});
export type GroupView = z.infer<typeof GroupView>;

export const GroupName = text(255).pipe(z.string().trim().min(1, 'is required'));

export const GroupCreateInput = z.object({
  name: GroupName,
  description: text(4000).default(''),
  /** Defaults to the caller. */
  ownerUuid: Uuid.optional(),
});
export const GroupUpdateInput = z.object({
  uuid: GroupUuid,
  patch: z.object({ name: GroupName, description: text(4000), ownerUuid: Uuid }).partial(),
  ifMatch: z.string().max(64).optional(),
});
export const GroupRef = z.object({ uuid: GroupUuid });

export const ListGroupsInput = listInput({
  filterable: {
    uuid: 'uuid',
    id: 'number',
    name: 'string',
    ownerUuid: 'uuid',
    createdAt: 'date',
    modifiedAt: 'date',
  },
  sortable: ['name', 'createdAt', 'modifiedAt', 'id'],
  selectable: Object.keys(GroupView.shape) as [keyof GroupView, ...(keyof GroupView)[]],
});
export const GroupList = listOutput(GroupView.partial().required({ uuid: true }));

export const MembersInput = z.object({
  uuid: GroupUuid,
  /** `direct`: links to the group; `effective`: every user who reaches it, with the weakest level on the best path. */
  mode: z.enum(['direct', 'effective']).default('direct'),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});
export const MemberView = z.object({
  memberUuid: Uuid,
  kind: z.enum(['user', 'group']),
  level: PermissionLevel,
  /** For direct members: the permission link. */
  linkUuid: Uuid.nullable(),
  /** Display name: username or group name. */
  name: z.string().nullable(),
});
export const MemberList = z.object({
  items: z.array(MemberView),
  itemsAvailable: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** A permission link: `tail` (user or group) holds `level` on `head` (user or group). */
export const LinkView = z.object({
  uuid: Uuid,
  linkClass: z.string(),
  name: z.string(),
  tailUuid: Uuid,
  headUuid: Uuid,
  ownerUuid: Uuid,
  properties: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
  modifiedAt: Timestamp,
});
export type LinkView = z.infer<typeof LinkView>;

export const GrantInput = z.object({ tailUuid: Uuid, headUuid: Uuid, level: PermissionLevel });
export const RevokeInput = z.union([z.object({ uuid: Uuid }), z.object({ tailUuid: Uuid, headUuid: Uuid })]);
export const ListLinksInput = listInput({
  filterable: {
    uuid: 'uuid',
    linkClass: 'string',
    name: 'string',
    tailUuid: 'uuid',
    headUuid: 'uuid',
    createdAt: 'date',
  },
  sortable: ['createdAt', 'uuid'],
  selectable: Object.keys(LinkView.shape) as [keyof LinkView, ...(keyof LinkView)[]],
});
export const LinkList = listOutput(LinkView.partial().required({ uuid: true }));

export const ComputedPermissionsInput = z.object({
  userUuid: Uuid.optional(),
  targetUuid: Uuid.optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  /** Opaque: the last user uuid of the previous page. */
  cursor: z.string().max(64).optional(),
});
export const ComputedPermission = z.object({ userUuid: Uuid, targetUuid: Uuid, level: PermissionLevel });
export const ComputedPermissionList = z.object({
  items: z.array(ComputedPermission),
  nextCursor: z.string().nullable(),
});
