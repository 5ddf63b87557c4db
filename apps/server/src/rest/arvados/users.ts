import { ListUsersInput, LoginInput, MergeInput, UserCreateInput, UserUpdatePatch } from '@roster/contracts';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../../lib/errors';
import * as auth from '../../services/auth';
import type { Deps } from '../../services/deps';
import * as lifecycle from '../../services/lifecycle';
import { viewUser } from '../../services/user-view';
import * as users from '../../services/users';
import { parseBool, parseInput, restHandler } from '../shared';
import {
  type ArvMethod,
  arvadosRateLimit,
  BodyObject,
  checkList,
  dialect,
  LIST_PARAMS,
  method,
  PathUuid,
  param,
  renamed,
  SELECT_PARAM,
  Select,
  UUID_PARAM,
} from './common';
import { ListParams, render, renderList, selectAttrs, translateList } from './list';
import { LINK, USER } from './resources';
import { tokenView } from './tokens';

/** Arvados's user attributes that a body may set, and their contract fields. */
const USER_KEYS = {
  email: 'email',
  username: 'username',
  first_name: 'firstName',
  last_name: 'lastName',
  identity_url: 'identityUrl',
  is_admin: 'isAdmin',
  is_active: 'isActive',
  prefs: 'prefs',
};
const USER_BOOLEANS = ['is_admin', 'is_active'];

function userCreateInput(raw: Record<string, unknown>) {
  if ('uuid' in raw)
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'Roster assigns uuids: omit uuid', {
      field: 'uuid',
    });
  const { owner_uuid: _ignored, ...rest } = raw; // Arvados forces the owner to the system user; so does Roster.
  return parseInput(
    UserCreateInput.strict(),
    renamed(rest, USER_KEYS, { blank: 'drop', booleans: USER_BOOLEANS }),
  );
}

/** users: the fixed paths first, before users/{uuid}. */
export function userMethods(deps: Deps): ArvMethod<unknown>[] {
  const userOut = (view: Record<string, unknown>, select?: string[]) =>
    render(deps, USER, view, selectAttrs(USER, select).attrs);
  return [
    method({
      resource: 'users',
      name: 'current',
      httpMethod: 'GET',
      path: 'users/current',
      description: "Get the user of this request's token.",
      parameters: {},
      response: 'User',
      gate: 'authed',
      input: z.object({}),
      handle: async ({ actor }) => userOut(await viewUser(deps, actor, actor.user)),
    }),
    method({
      resource: 'users',
      name: 'system',
      httpMethod: 'GET',
      path: 'users/system',
      description: 'Get the system user.',
      parameters: {},
      response: 'User',
      gate: 'active',
      input: z.object({}),
      async handle({ actor }) {
        const user = await users.findUser(deps, deps.wellKnown.systemUser);
        if (!user) throw notFound('system user');
        return userOut(await viewUser(deps, actor, user));
      },
    }),
    method({
      resource: 'users',
      name: 'setup',
      httpMethod: 'POST',
      path: 'users/setup',
      description:
        'Set up a user (creating it from `user` if given): join "All users" and become visible to its members.',
      parameters: {
        uuid: param('string', 'An existing user to set up.'),
        user: param('object', 'A new user to create and set up (email required).'),
        vm_uuid: param('string', 'Not supported: Roster has no virtual machines.'),
        repo_name: param('string', 'Accepted and ignored.'),
        send_notification_email: param('boolean', 'Accepted and ignored.', { default: 'false' }),
      },
      response: 'User',
      gate: 'admin',
      audit: 'users.setup',
      input: z.object({
        uuid: PathUuid.optional(),
        user: BodyObject('user').optional(),
        vm_uuid: z.string().max(64).optional(),
      }),
      async handle({ actor }, input) {
        if (input.vm_uuid)
          throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', `No vm found for ${input.vm_uuid}`);
        let setup: Awaited<ReturnType<typeof lifecycle.setupUser>>;
        if (input.uuid) setup = await lifecycle.setupUser(deps, actor, { uuid: input.uuid });
        else if (input.user) {
          if (!input.user.email)
            throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'Require user email', {
              field: 'user.email',
            });
          setup = await lifecycle.setupUser(deps, actor, { user: userCreateInput(input.user) });
        } else throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'Required uuid or user');
        return {
          kind: 'arvados#HashList',
          items: [...setup.links.map((l) => render(deps, LINK, l)), render(deps, USER, setup.user)],
        };
      },
    }),
    method({
      resource: 'users',
      name: 'merge',
      httpMethod: 'POST',
      path: 'users/merge',
      description:
        "Move an account into another: with new_user_token (the caller is the old user), or an admin's old_user_uuid and new_user_uuid.",
      parameters: {
        new_owner_uuid: param('string', 'Who will own what the old user owned.', { required: true }),
        new_user_token: param('string', "A token of the new user (the caller's own account is the old one)."),
        new_user_uuid: param('string', 'Admin: the new user.'),
        old_user_uuid: param('string', 'Admin: the old user.'),
        redirect_to_new_user: param('boolean', "Also redirect the old user's logins and tokens.", {
          default: 'false',
        }),
      },
      response: 'User',
      gate: 'authed',
      audit: 'users.merge',
      input: z
        .object({
          new_owner_uuid: z.string().optional(),
          new_user_token: z.string().optional(),
          new_user_uuid: z.string().optional(),
          old_user_uuid: z.string().optional(),
          redirect_to_new_user: z.preprocess(parseBool, z.boolean()).optional(),
        })
        .transform((p) => ({
          newOwnerUuid: p.new_owner_uuid,
          newUserToken: p.new_user_token,
          newUserUuid: p.new_user_uuid,
          oldUserUuid: p.old_user_uuid,
          redirectToNewUser: p.redirect_to_new_user,
        })),
      async handle({ actor }, input) {
        const req = parseInput(
          MergeInput,
          Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
        );
        return userOut(await lifecycle.mergeUsers(deps, actor, req));
      },
    }),
    method({
      resource: 'users',
      name: 'list',
      httpMethod: 'GET',
      path: 'users',
      description: 'List users (others see active users and their public attributes).',
      parameters: LIST_PARAMS,
      response: 'UserList',
      gate: 'active',
      input: ListParams,
      async handle({ actor }, params) {
        checkList(actor, params);
        const t = translateList(USER, params);
        return renderList(
          deps,
          USER,
          await users.listUsers(deps, actor, parseInput(ListUsersInput, t)),
          t.attrs,
        );
      },
    }),
    method({
      resource: 'users',
      name: 'create',
      httpMethod: 'POST',
      path: 'users',
      description: 'Create a user (admin).',
      parameters: {
        ...SELECT_PARAM,
        ensure_unique_name: param('boolean', 'Accepted and ignored.', { default: 'false' }),
      },
      request: { property: 'user', schema: 'User' },
      response: 'User',
      gate: 'admin',
      audit: 'users.create',
      input: z.object({ user: BodyObject('user'), select: Select }),
      async handle({ actor }, input) {
        const user = await users.createUser(deps, actor, userCreateInput(input.user), { source: 'admin' });
        return userOut(await viewUser(deps, actor, user), input.select);
      },
    }),
    method({
      resource: 'users',
      name: 'get',
      httpMethod: 'GET',
      path: 'users/{uuid}',
      description: 'Get a user by uuid.',
      parameters: { ...UUID_PARAM('user'), ...SELECT_PARAM },
      response: 'User',
      gate: 'active',
      input: z.object({ uuid: PathUuid, select: Select }),
      handle: async ({ actor }, input) => userOut(await users.getUser(deps, actor, input.uuid), input.select),
    }),
    method({
      resource: 'users',
      name: 'update',
      httpMethod: 'PUT',
      patch: true,
      path: 'users/{uuid}',
      description: 'Change the given attributes of a user (yourself; admins anyone).',
      parameters: { ...UUID_PARAM('user'), ...SELECT_PARAM },
      request: { property: 'user', schema: 'User' },
      response: 'User',
      gate: 'authed',
      audit: 'users.update',
      input: z.object({ uuid: PathUuid, user: BodyObject('user'), select: Select }),
      async handle({ actor }, input) {
        const { uuid: _same, owner_uuid: _owner, ...attrs } = input.user;
        const patch = parseInput(
          UserUpdatePatch.strict(),
          renamed(attrs, USER_KEYS, { blank: 'null', booleans: USER_BOOLEANS }),
        );
        return userOut(await users.updateUser(deps, actor, { uuid: input.uuid, patch }), input.select);
      },
    }),
    method({
      resource: 'users',
      name: 'delete',
      httpMethod: 'DELETE',
      path: 'users/{uuid}',
      description: 'Delete a user (admin).',
      parameters: UUID_PARAM('user'),
      response: 'User',
      gate: 'admin',
      audit: 'users.delete',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) => userOut(await users.deleteUser(deps, actor, input.uuid)),
    }),
    method({
      resource: 'users',
      name: 'activate',
      httpMethod: 'POST',
      path: 'users/{uuid}/activate',
      description:
        'Activate a user who is set up and has signed every required agreement (yourself; admins anyone).',
      parameters: UUID_PARAM('user'),
      response: 'User',
      gate: 'authed',
      audit: 'users.activate',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) => userOut(await lifecycle.activateUser(deps, actor, input.uuid)),
    }),
    method({
      resource: 'users',
      name: 'unsetup',
      httpMethod: 'POST',
      path: 'users/{uuid}/unsetup',
      description:
        "Remove a user's memberships, sharing, agreements and tokens, and deactivate them (admin).",
      parameters: UUID_PARAM('user'),
      response: 'User',
      gate: 'admin',
      audit: 'users.unsetup',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) => userOut(await lifecycle.unsetupUser(deps, actor, input.uuid)),
    }),
  ];
}

const AuthenticateBody = z.object({ username: LoginInput.shape.login, password: LoginInput.shape.password });

/** users.authenticate: not in the discovery document (nor in Arvados's); clients POST to it directly. */
export function authenticateHandler(deps: Deps): RequestHandler[] {
  return [
    arvadosRateLimit(deps),
    restHandler(deps, dialect, 'public', {
      audit: 'auth.login',
      input: AuthenticateBody,
      async handle(call, input) {
        const result = await auth.login(deps, { login: input.username, password: input.password }, call.meta);
        call.audit.actorUuid = result.user.uuid;
        call.audit.targetUuid = result.user.uuid;
        return tokenView(deps, result.session, result.token);
      },
    }),
  ];
}
