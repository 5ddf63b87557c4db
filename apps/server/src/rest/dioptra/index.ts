import { STATUS_CODES } from 'node:http';
import {
  Email,
  type GroupView,
  ListGroupsInput,
  ListUsersInput,
  MAX_LIST_LIMIT,
  NewPassword,
  PresentedPassword,
  Username,
  type UserView,
} from '@roster/contracts';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { sessionCookies } from '../../context';
import type { UserDoc } from '../../db/models';
import { sensitiveRateLimit } from '../../http/rate-limit';
import { AppError, notFound, tooMany } from '../../lib/errors';
import * as auth from '../../services/auth';
import type { Actor, Deps } from '../../services/deps';
import { listGroups, members } from '../../services/groups';
import { signupWithConflictBudget } from '../../services/signup-guard';
import { viewUser } from '../../services/user-view';
import { changePassword, createUser, deleteSelf, listUsers, updateUser } from '../../services/users';
import {
  bareCall,
  type Call,
  type Dialect,
  messageOf,
  parseBool,
  parseInput,
  restHandler,
  statusOf,
} from '../shared';
import { searchFilters } from './search';

/**
 * Dioptra's REST dialect at /api/v1 (users, auth, groups), with the paths, JSON shapes and
 * status codes of `dioptra-platform` 1.2's `dioptra.restapi.v1`, so that Dioptra's own Python
 * client (`dioptra.client`) works against Roster. Users and groups carry Roster's integer `id`.
 */

const V1 = '/api/v1';

/** Dioptra's error classes, by Roster's application error code (see `dioptra.restapi.errors`). */
const ERROR_CLASS: Record<string, string> = {
  UNAUTHENTICATED: 'NoCurrentUserError',
  INVALID_CREDENTIALS: 'UserAuthenticationError',
  PASSWORD_EXPIRED: 'UserPasswordError',
  USERNAME_TAKEN: 'EntityExistsError',
  EMAIL_TAKEN: 'EntityExistsError',
  IDENTITY_URL_TAKEN: 'EntityExistsError',
  CONFLICT: 'EntityExistsError',
  NOT_FOUND: 'EntityDoesNotExistError',
  VALIDATION_FAILED: 'QueryParameterValidationError',
  PASSWORD_POLICY: 'QueryParameterValidationError',
};

/** Dioptra's `error_result`: `{error, message: "<phrase> - <message>", detail, originating_path}`. */
export function sendDioptraError(call: Call, err: unknown) {
  const status = statusOf(err);
  const appCode = err instanceof AppError ? err.appCode : status >= 500 ? 'INTERNAL' : 'ERROR';
  const error =
    appCode === 'INVALID_CREDENTIALS' && status === 403
      ? 'UserPasswordChangeError'
      : (ERROR_CLASS[appCode] ?? (status === 403 ? 'Forbidden' : status >= 500 ? 'DioptraError' : appCode));
  const field = err instanceof AppError ? err.field : undefined;
  call.res.status(status).json({
    error,
    message: `${STATUS_CODES[status] ?? 'Error'} - ${messageOf(err)}`,
    detail: {
      ...(field ? { field } : {}),
      ...(error === 'EntityExistsError' ? { entity_type: 'user' } : {}),
    },
    originating_path: call.req.originalUrl,
  });
}

const dialect: Dialect = {
  name: 'dioptra',
  // Dioptra's client is a requests session holding the login cookie; it cannot send a CSRF header.
  csrf: 'same-origin',
  sendError: sendDioptraError,
};

const Id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Paging = z.object({
  index: z.coerce.number().int().min(0).max(1_000_000).default(0),
  pageLength: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(10),
  search: z.string().max(1024).default(''),
});
type Paging = z.infer<typeof Paging>;

const userUrl = (id: number) => `${V1}/users/${id}`;
const groupUrl = (id: number) => `${V1}/groups/${id}`;

/** `build_paging_envelope`: the page, where it starts, whether it is the last, and links. */
function pageEnvelope(collection: string, data: unknown[], paging: Paging, total: number) {
  const url = (index: number) => {
    const q = new URLSearchParams({ index: String(index), pageLength: String(paging.pageLength) });
    if (paging.search) q.set('search', paging.search);
    return `${V1}/${collection}?${q}`;
  };
  const hasNext = total > paging.index + paging.pageLength;
  return {
    index: paging.index,
    isComplete: !hasNext,
    totalNumResults: total,
    first: url(0),
    ...(hasNext ? { next: url(paging.index + paging.pageLength) } : {}),
    ...(paging.index > 0 ? { prev: url(Math.max(paging.index - paging.pageLength, 0)) } : {}),
    data,
  };
}

const dioptraUser = (u: Partial<UserView>) => ({
  id: u.id ?? null,
  username: u.username ?? null,
  email: u.email ?? null,
});

async function groupRefs(deps: Deps, actor: Actor, ids: number[]) {
  if (!ids.length) return [];
  const page = await listGroups(
    deps,
    actor,
    parseInput(ListGroupsInput, { filters: [['id', 'in', ids]], limit: ids.length }),
  );
  return page.items.map((g) => ({ id: g.id!, name: g.name!, url: groupUrl(g.id!) }));
}

/** `build_current_user`: the user's own record (as they see it), with their groups. */
async function currentUser(deps: Deps, actor: Actor, view: UserView) {
  return {
    ...dioptraUser(view),
    groups: await groupRefs(deps, actor, view.groups ?? []),
    createdOn: view.createdAt ?? null,
    lastModifiedOn: view.modifiedAt ?? null,
    lastLoginOn: view.lastLoginAt ?? null,
    passwordExpiresOn: view.passwordExpiresAt ?? null,
  };
}

/** `id`s and usernames of users the caller can see, by uuid. */
async function userRefs(deps: Deps, actor: Actor, uuids: string[]) {
  const unique = [...new Set(uuids)].slice(0, MAX_LIST_LIMIT);
  if (!unique.length) return new Map<string, { id: number; username: string | null; url: string }>();
  const page = await listUsers(
    deps,
    actor,
    parseInput(ListUsersInput, {
      filters: [['uuid', 'in', unique]],
      limit: unique.length,
      select: ['id', 'username'],
    }),
  );
  return new Map(
    page.items.map((u) => [u.uuid, { id: u.id!, username: u.username ?? null, url: userUrl(u.id!) }]),
  );
}

type GroupItem = Partial<GroupView> & { uuid: string };

/**
 * `build_group`: a group with its creator and members. Roster's permission levels become
 * Dioptra's flags: can_read → read; can_write → write; can_manage → share and admin; the
 * group's owning user is its `owner`. Shows at most 1000 members per group.
 */
async function dioptraGroups(deps: Deps, actor: Actor, groups: GroupItem[]) {
  const memberLists = await Promise.all(
    groups.map((g) =>
      members(deps, actor, { uuid: g.uuid, mode: 'direct', limit: MAX_LIST_LIMIT, offset: 0 }),
    ),
  );
  const users = await userRefs(deps, actor, [
    ...groups.map((g) => g.ownerUuid ?? ''),
    ...memberLists.flatMap((m) => m.items.filter((i) => i.kind === 'user').map((i) => i.memberUuid)),
  ]);
  return groups.map((g, n) => {
    const ref = { id: g.id!, name: g.name!, url: groupUrl(g.id!) };
    return {
      id: g.id,
      name: g.name,
      user: users.get(g.ownerUuid ?? '') ?? null,
      members: memberLists[n]!.items.flatMap((m) => {
        const user = users.get(m.memberUuid);
        if (!user) return [];
        const manage = m.level === 'can_manage';
        return [
          {
            user,
            group: ref,
            permissions: {
              read: true,
              write: m.level !== 'can_read',
              shareRead: manage,
              shareWrite: manage,
              owner: m.memberUuid === g.ownerUuid,
              admin: manage,
            },
          },
        ];
      }),
      createdOn: g.createdAt,
      lastModifiedOn: g.modifiedAt,
    };
  });
}

const CreateUserBody = z.object({
  username: Username,
  email: Email,
  password: NewPassword,
  confirmPassword: z.string().max(1024),
});
const LoginBody = z.object({ username: z.string().min(1).max(254), password: PresentedPassword.min(1) });
const LogoutQuery = z.object({ everywhere: z.preprocess(parseBool, z.boolean()).default(false) });
const PasswordBody = z.object({
  oldPassword: PresentedPassword,
  newPassword: NewPassword,
  confirmNewPassword: z.string().max(1024),
});
const ModifyBody = z.object({ username: Username, email: Email });
const DeleteBody = z.object({ password: PresentedPassword });

/** Dioptra's own answers to a refused password change (`UserPasswordChangeError`, 403). */
function checkPasswordChange(input: z.infer<typeof PasswordBody>) {
  if (input.newPassword !== input.confirmNewPassword) {
    throw new AppError(
      'FORBIDDEN',
      'VALIDATION_FAILED',
      'Confirmation password does not match new password.',
      { field: 'confirmNewPassword' },
    );
  }
}
async function asPasswordChange<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError && err.appCode === 'INVALID_CREDENTIALS') {
      throw new AppError('FORBIDDEN', 'INVALID_CREDENTIALS', 'Invalid Current Password.', {
        field: 'oldPassword',
        cause: err,
      });
    }
    throw err;
  }
}

export function dioptraRouter(deps: Deps): Router {
  const router = express.Router();
  // Logins, registrations and password changes cost a password hash: limited per address,
  // on the same counters as the tRPC procedures.
  const limited: RequestHandler = sensitiveRateLimit(
    deps,
    () => true,
    (req, res) => sendDioptraError(bareCall(deps, req, res), tooMany()),
  );

  router.get(
    '/users',
    restHandler(deps, dialect, 'active', {
      input: Paging,
      async handle({ actor }, paging) {
        const filters = searchFilters(paging.search, { username: 'username', email: 'email' }, (v) =>
          v.includes('@') ? 'email' : 'username',
        );
        const page = await listUsers(
          deps,
          actor,
          parseInput(ListUsersInput, {
            filters,
            limit: paging.pageLength,
            offset: paging.index,
            count: true,
          }),
        );
        return pageEnvelope('users', page.items.map(dioptraUser), paging, page.itemsAvailable ?? 0);
      },
    }),
  );

  // Registration is open to anyone (while sign-up is enabled); an admin's session creates the user as an admin would.
  router.post(
    '/users',
    limited,
    restHandler(deps, dialect, 'public', {
      audit: 'auth.signup',
      input: CreateUserBody,
      async handle(call, input) {
        if (input.password !== input.confirmPassword) {
          throw new AppError(
            'BAD_REQUEST',
            'VALIDATION_FAILED',
            'Input parameters for password failed equivalence check.',
            {
              field: 'confirmPassword',
            },
          );
        }
        const fields = { username: input.username, email: input.email, password: input.password };
        const byAdmin = call.actor?.user.isAdmin && call.actor.user.isActive ? call.actor : null;
        if (byAdmin) call.audit.action = 'users.create';
        const user = byAdmin
          ? await createUser(deps, byAdmin, { ...fields, isAdmin: false, prefs: {} }, { source: 'admin' })
          : await signupWithConflictBudget(deps, fields, call.meta);
        call.audit.targetUuid = user.uuid;
        const self: Actor = { user, token: null, via: 'internal' };
        return currentUser(deps, self, await viewUser(deps, self, user));
      },
    }),
  );

  router.get(
    '/users/current',
    restHandler(deps, dialect, 'authed', {
      handle: async ({ actor }) => currentUser(deps, actor, await viewUser(deps, actor, actor.user)),
    }),
  );

  router.put(
    '/users/current',
    restHandler(deps, dialect, 'authed', {
      audit: 'users.update',
      input: ModifyBody,
      async handle({ actor }, input) {
        // Only what changes is sent on, so that a user who keeps their username is not refused for "changing" it.
        const patch = {
          ...(input.username !== actor.user.username ? { username: input.username } : {}),
          ...(input.email !== actor.user.email ? { email: input.email } : {}),
        };
        return currentUser(deps, actor, await updateUser(deps, actor, { uuid: actor.user.uuid, patch }));
      },
    }),
  );

  router.delete(
    '/users/current',
    limited,
    restHandler(deps, dialect, 'authed', {
      audit: 'users.deleteSelf',
      input: DeleteBody,
      async handle(call, input) {
        const { actor } = call;
        call.audit.targetUuid = actor.user.uuid;
        await deleteSelf(deps, actor, input.password);
        sessionCookies(deps, call.req, call.res).clear();
        return { status: 'Success', id: [actor.user.id] };
      },
    }),
  );

  router.post(
    '/users/current/password',
    limited,
    restHandler(deps, dialect, 'authed', {
      audit: 'users.changePassword',
      input: PasswordBody,
      async handle({ actor }, input) {
        checkPasswordChange(input);
        await asPasswordChange(changePassword(deps, actor, input.oldPassword, input.newPassword));
        return { status: 'Password Change Success' };
      },
    }),
  );

  router.get(
    '/users/:id',
    restHandler(deps, dialect, 'active', {
      input: z.object({ id: Id }),
      async handle({ actor }, { id }) {
        const page = await listUsers(
          deps,
          actor,
          parseInput(ListUsersInput, { filters: [['id', '=', id]], limit: 1 }),
        );
        const user = page.items[0];
        if (!user) throw notFound('user');
        return dioptraUser(user);
      },
    }),
  );

  // The way to change an expired password, which cannot sign in: the old password is the proof, so no session is needed.
  router.post(
    '/users/:id/password',
    limited,
    restHandler(deps, dialect, 'public', {
      audit: 'auth.changeExpiredPassword',
      input: PasswordBody.extend({ id: Id }),
      async handle(call, input) {
        checkPasswordChange(input);
        // An unknown id gets the same answer, in the same time, as a wrong password.
        const user = await deps.models.User.findOne(
          { id: input.id, redirectToUserUuid: null },
          { uuid: 1, username: 1, email: 1 },
        ).lean<Pick<UserDoc, 'uuid' | 'username' | 'email'>>();
        const view = await asPasswordChange(
          auth.changeExpiredPassword(
            deps,
            {
              login: user?.username ?? user?.email ?? `#${input.id}`,
              oldPassword: input.oldPassword,
              newPassword: input.newPassword,
            },
            call.meta,
          ),
        );
        call.audit.targetUuid = view.uuid;
        return { status: 'Password Change Success' };
      },
    }),
  );

  router.post(
    '/auth/login',
    limited,
    restHandler(deps, dialect, 'public', {
      audit: 'auth.login',
      input: LoginBody,
      async handle(call, input) {
        const result = await auth.login(deps, { login: input.username, password: input.password }, call.meta);
        call.audit.actorUuid = result.user.uuid;
        call.audit.targetUuid = result.user.uuid;
        sessionCookies(deps, call.req, call.res).set(result.token, new Date(result.expiresAt));
        return { username: input.username, status: 'Login successful' };
      },
    }),
  );

  router.post(
    '/auth/logout',
    restHandler(deps, dialect, 'authed', {
      audit: 'auth.logout',
      input: LogoutQuery,
      async handle(call, { everywhere }) {
        await auth.logout(deps, call.actor, everywhere);
        sessionCookies(deps, call.req, call.res).clear();
        return { username: call.actor.user.username, everywhere, status: 'Logout successful' };
      },
    }),
  );

  router.get(
    '/groups',
    restHandler(deps, dialect, 'active', {
      input: Paging,
      async handle({ actor }, paging) {
        const filters = searchFilters(paging.search, { name: 'name' }, () => 'name');
        const page = await listGroups(
          deps,
          actor,
          parseInput(ListGroupsInput, {
            filters,
            limit: paging.pageLength,
            offset: paging.index,
            count: true,
          }),
        );
        const data = await dioptraGroups(deps, actor, page.items);
        return pageEnvelope('groups', data, paging, page.itemsAvailable ?? 0);
      },
    }),
  );

  router.get(
    '/groups/:id',
    restHandler(deps, dialect, 'active', {
      input: z.object({ id: Id }),
      async handle({ actor }, { id }) {
        const page = await listGroups(
          deps,
          actor,
          parseInput(ListGroupsInput, { filters: [['id', '=', id]], limit: 1 }),
        );
        if (!page.items[0]) throw notFound('group');
        const [group] = await dioptraGroups(deps, actor, page.items);
        return group;
      },
    }),
  );

  router.use((req, res) => {
    sendDioptraError(
      bareCall(deps, req, res),
      new AppError('NOT_FOUND', 'NOT_FOUND', `No Dioptra endpoint ${req.method} ${req.baseUrl}${req.path}`),
    );
  });
  return router;
}
