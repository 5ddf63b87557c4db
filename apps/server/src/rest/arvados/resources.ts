import type { Deps } from '../../services/deps';
import type { ArvResource } from './list';

/** The Arvados resources Roster serves, as its views show them (see list.ts for what each attribute may say). */

const userOwner = (v: Record<string, unknown>, deps: Deps) => v.ownerUuid ?? deps.wellKnown.systemUser;

export const USER: ArvResource = {
  schema: 'User',
  kind: 'arvados#user',
  attrs: {
    kind: { type: 'string', fixed: 'arvados#user' },
    etag: { type: 'string', field: 'etag', compute: (v) => v.etag ?? '' },
    uuid: { type: 'string', field: 'uuid', filter: true, sort: true },
    owner_uuid: { type: 'string', field: 'ownerUuid', compute: userOwner },
    created_at: { type: 'datetime', field: 'createdAt', filter: true, sort: true },
    modified_at: { type: 'datetime', field: 'modifiedAt', filter: true, sort: true },
    modified_by_user_uuid: { type: 'string', field: 'modifiedByUserUuid' },
    email: { type: 'string', field: 'email', filter: true, sort: true },
    username: { type: 'string', field: 'username', filter: true, sort: true },
    full_name: { type: 'string', field: 'fullName' },
    first_name: { type: 'string', field: 'firstName', filter: true },
    last_name: { type: 'string', field: 'lastName', filter: true, sort: true },
    identity_url: { type: 'string', field: 'identityUrl' },
    is_active: { type: 'boolean', field: 'isActive', filter: true },
    is_admin: { type: 'boolean', field: 'isAdmin', filter: true },
    is_invited: { type: 'boolean', field: 'isInvited' },
    prefs: { type: 'object', field: 'prefs' },
    // Others see a user's owner only; the user themself and admins see who else may write it.
    writable_by: {
      type: 'array',
      field: 'writableBy',
      compute: (v, deps) => v.writableBy ?? [userOwner(v, deps)],
    },
    can_write: { type: 'boolean', field: 'canWrite' },
    can_manage: { type: 'boolean', field: 'canManage' },
  },
};

export const TOKEN: ArvResource = {
  schema: 'ApiClientAuthorization',
  kind: 'arvados#apiClientAuthorization',
  attrs: {
    kind: { type: 'string', fixed: 'arvados#apiClientAuthorization' },
    etag: { type: 'string', fixed: '' },
    uuid: { type: 'string', field: 'uuid', filter: true, sort: true },
    // Only a hash of the secret is stored: the secret is shown once, by create and users.authenticate.
    api_token: { type: 'string', fixed: null },
    owner_uuid: { type: 'string', field: 'userUuid', filter: true },
    created_by_ip_address: { type: 'string', field: 'createdByIp' },
    last_used_by_ip_address: { type: 'string', field: 'lastUsedByIp' },
    last_used_at: { type: 'datetime', field: 'lastUsedAt', filter: true, sort: true },
    expires_at: { type: 'datetime', field: 'expiresAt', filter: true, sort: true },
    scopes: { type: 'array', field: 'scopes' },
    created_at: { type: 'datetime', field: 'createdAt', filter: true, sort: true },
    modified_at: { type: 'datetime', field: 'createdAt' },
  },
};

export const GROUP: ArvResource = {
  schema: 'Group',
  kind: 'arvados#group',
  attrs: {
    kind: { type: 'string', fixed: 'arvados#group' },
    etag: { type: 'string', field: 'etag' },
    uuid: { type: 'string', field: 'uuid', filter: true },
    owner_uuid: { type: 'string', field: 'ownerUuid', filter: true },
    created_at: { type: 'datetime', field: 'createdAt', filter: true, sort: true },
    modified_at: { type: 'datetime', field: 'modifiedAt', filter: true, sort: true },
    modified_by_user_uuid: { type: 'string', field: 'modifiedByUserUuid' },
    name: { type: 'string', field: 'name', filter: true, sort: true },
    description: { type: 'string', field: 'description' },
    // Roster's groups are all roles: no projects or filter groups, no properties, no trash.
    group_class: { type: 'string', fixed: 'role' },
    properties: { type: 'object', fixed: {} },
    trash_at: { type: 'datetime', fixed: null },
    delete_at: { type: 'datetime', fixed: null },
    is_trashed: { type: 'boolean', fixed: false },
    frozen_by_uuid: { type: 'string', fixed: null },
    writable_by: { type: 'array', field: 'writableBy' },
    can_write: { type: 'boolean', field: 'canWrite' },
    can_manage: { type: 'boolean', field: 'canManage' },
  },
};

export const LINK: ArvResource = {
  schema: 'Link',
  kind: 'arvados#link',
  attrs: {
    kind: { type: 'string', fixed: 'arvados#link' },
    etag: { type: 'string', fixed: '' },
    uuid: { type: 'string', field: 'uuid', filter: true, sort: true },
    owner_uuid: { type: 'string', field: 'ownerUuid' },
    created_at: { type: 'datetime', field: 'createdAt', filter: true, sort: true },
    modified_at: { type: 'datetime', field: 'modifiedAt' },
    modified_by_user_uuid: { type: 'string', fixed: null },
    tail_uuid: { type: 'string', field: 'tailUuid', filter: true },
    link_class: { type: 'string', field: 'linkClass', filter: true },
    name: { type: 'string', field: 'name', filter: true },
    head_uuid: { type: 'string', field: 'headUuid', filter: true },
    properties: { type: 'object', field: 'properties' },
  },
};

export const COMPUTED_PERMISSION: ArvResource = {
  schema: 'ComputedPermission',
  kind: 'arvados#computedPermission',
  attrs: {
    user_uuid: { type: 'string', field: 'userUuid' },
    target_uuid: { type: 'string', field: 'targetUuid' },
    perm_level: { type: 'string', field: 'level' },
  },
};

export const RESOURCES = [USER, TOKEN, GROUP, LINK, COMPUTED_PERMISSION];
