import { newEtag } from '../lib/ids';
import { nextId } from './counters';
import type { Deps } from './deps';
import { issueToken } from './tokens';
import { createUser } from './users';

async function ensureUser(deps: Deps, uuid: string, fields: Record<string, unknown>) {
  if (await deps.models.User.exists({ uuid })) return;
  const now = new Date();
  try {
    await deps.models.User.create({
      uuid,
      id: await nextId(deps, 'users'),
      ownerUuid: deps.wellKnown.systemUser,
      createdAt: now,
      modifiedAt: now,
      etag: newEtag(),
      ...fields,
    });
  } catch (err) {
    // Another process created it first.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

async function ensureGroup(deps: Deps, uuid: string, name: string, description: string) {
  if (await deps.models.Group.exists({ uuid })) return;
  const now = new Date();
  try {
    await deps.models.Group.create({
      uuid,
      id: await nextId(deps, 'groups'),
      name,
      description,
      groupClass: 'role',
      ownerUuid: deps.wellKnown.systemUser,
      createdAt: now,
      modifiedAt: now,
      etag: newEtag(),
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

/** Creates the well-known objects if missing (DESIGN.md, "Identifiers"). Safe to run concurrently. */
export async function ensureWellKnownObjects(deps: Deps): Promise<void> {
  const wk = deps.wellKnown;
  await ensureUser(deps, wk.systemUser, {
    username: null,
    email: 'root',
    emailKey: 'root',
    firstName: 'root',
    isAdmin: true,
    isActive: true,
  });
  await ensureUser(deps, wk.anonymousUser, {
    username: null,
    firstName: 'Anonymous',
    isAdmin: false,
    isActive: true,
  });
  await ensureGroup(deps, wk.systemGroup, 'System group', 'Manages every user (built in)');
  await ensureGroup(
    deps,
    wk.allUsersGroup,
    'All users',
    'Every user that is set up (built in); Dioptra’s public group',
  );
}

export const SETUP_TOKEN_LABEL = 'first-admin setup';

export type FirstAdminOutcome =
  | { kind: 'exists' }
  | { kind: 'created'; username: string }
  | { kind: 'setup-token'; token: string; expiresAt: Date };

/**
 * When the directory has no admin besides the system user: create one from configuration, or
 * issue a one-time setup token that may call only `auth.claimFirstAdmin`. Never a default password.
 */
export async function ensureFirstAdmin(deps: Deps): Promise<FirstAdminOutcome> {
  const hasAdmin = await deps.models.User.exists({
    isAdmin: true,
    isActive: true,
    uuid: { $ne: deps.wellKnown.systemUser },
  });
  if (hasAdmin) return { kind: 'exists' };
  const boot = deps.config.bootstrapAdmin;
  if (boot) {
    await createUser(
      deps,
      null,
      {
        username: boot.username,
        email: boot.email,
        password: boot.password,
        isAdmin: true,
        isActive: true,
        prefs: {},
      },
      { source: 'bootstrap' },
    );
    return { kind: 'created', username: boot.username };
  }
  // One live setup token at a time: each start replaces the previous one.
  await deps.models.Token.deleteMany({ userUuid: deps.wellKnown.systemUser, label: SETUP_TOKEN_LABEL });
  const expiresAt = new Date(Date.now() + 24 * 3_600_000);
  const { secret } = await issueToken(deps, deps.wellKnown.systemUser, {
    kind: 'api',
    label: SETUP_TOKEN_LABEL,
    scopes: ['trpc:auth.claimFirstAdmin'],
    expiresAt,
  });
  return { kind: 'setup-token', token: secret, expiresAt };
}
