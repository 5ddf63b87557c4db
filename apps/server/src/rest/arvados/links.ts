import { ComputedPermissionsInput, GrantInput, ListLinksInput } from '@roster/contracts';
import { z } from 'zod';
import { AppError, notFound } from '../../lib/errors';
import type { Actor, Deps } from '../../services/deps';
import * as grants from '../../services/grants';
import { parseInput } from '../shared';
import {
  type ArvMethod,
  BodyObject,
  checkList,
  LIST_PARAMS,
  method,
  PathUuid,
  param,
  SELECT_PARAM,
  Select,
  UUID_PARAM,
} from './common';
import { ListParams, render, renderList, selectAttrs, translateList } from './list';
import { COMPUTED_PERMISSION, LINK } from './resources';

/** A permission link body as a grant: class `permission`, name the level, no properties. */
function linkBody(raw: Record<string, unknown>, existing?: { tailUuid?: string; headUuid?: string }) {
  const linkClass = raw.link_class ?? 'permission';
  if (linkClass !== 'permission') {
    throw new AppError(
      'BAD_REQUEST',
      'VALIDATION_FAILED',
      'Roster stores permission links only (link_class "permission")',
      {
        field: 'link_class',
      },
    );
  }
  if (raw.properties && Object.keys(raw.properties as object).length) {
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'permission links have no properties in Roster', {
      field: 'properties',
    });
  }
  return parseInput(GrantInput, {
    tailUuid: raw.tail_uuid ?? existing?.tailUuid,
    headUuid: raw.head_uuid ?? existing?.headUuid,
    level: raw.name,
  });
}

async function linkByUuid(deps: Deps, actor: Actor, uuid: string) {
  const page = await grants.listLinks(
    deps,
    actor,
    parseInput(ListLinksInput, { filters: [['uuid', '=', uuid]], limit: 1 }),
  );
  const link = page.items[0];
  if (!link) throw notFound('link');
  return link;
}

/** Permission links (membership and sharing), and the computed permissions they give. */
export function linkMethods(deps: Deps): ArvMethod<unknown>[] {
  return [
    method({
      resource: 'links',
      name: 'list',
      httpMethod: 'GET',
      path: 'links',
      description: 'List the links you can see.',
      parameters: LIST_PARAMS,
      response: 'LinkList',
      gate: 'active',
      input: ListParams,
      async handle({ actor }, params) {
        checkList(actor, params);
        const t = translateList(LINK, params);
        return renderList(
          deps,
          LINK,
          await grants.listLinks(deps, actor, parseInput(ListLinksInput, t)),
          t.attrs,
        );
      },
    }),
    method({
      resource: 'links',
      name: 'create',
      httpMethod: 'POST',
      path: 'links',
      description: 'Grant a permission: link_class "permission", name can_read|can_write|can_manage.',
      parameters: {
        ...SELECT_PARAM,
        ensure_unique_name: param('boolean', 'Accepted and ignored.', { default: 'false' }),
      },
      request: { property: 'link', schema: 'Link' },
      response: 'Link',
      gate: 'active',
      audit: 'permissions.grant',
      input: z.object({ link: BodyObject('link'), select: Select }),
      async handle({ actor }, input) {
        const link = await grants.grant(deps, actor, linkBody(input.link));
        return render(deps, LINK, link, selectAttrs(LINK, input.select).attrs);
      },
    }),
    method({
      resource: 'links',
      name: 'get',
      httpMethod: 'GET',
      path: 'links/{uuid}',
      description: 'Get a link by uuid.',
      parameters: { ...UUID_PARAM('link'), ...SELECT_PARAM },
      response: 'Link',
      gate: 'active',
      input: z.object({ uuid: PathUuid, select: Select }),
      handle: async ({ actor }, input) =>
        render(deps, LINK, await linkByUuid(deps, actor, input.uuid), selectAttrs(LINK, input.select).attrs),
    }),
    method({
      resource: 'links',
      name: 'update',
      httpMethod: 'PUT',
      patch: true,
      path: 'links/{uuid}',
      description: "Change a permission link's level (its name).",
      parameters: { ...UUID_PARAM('link'), ...SELECT_PARAM },
      request: { property: 'link', schema: 'Link' },
      response: 'Link',
      gate: 'active',
      audit: 'permissions.grant',
      input: z.object({ uuid: PathUuid, link: BodyObject('link'), select: Select }),
      async handle({ actor }, input) {
        const existing = await linkByUuid(deps, actor, input.uuid);
        const wanted = linkBody({ name: existing.name, ...input.link }, existing);
        if (wanted.tailUuid !== existing.tailUuid || wanted.headUuid !== existing.headUuid) {
          throw new AppError(
            'BAD_REQUEST',
            'VALIDATION_FAILED',
            'tail_uuid and head_uuid of a permission link cannot change',
          );
        }
        return render(
          deps,
          LINK,
          await grants.grant(deps, actor, wanted),
          selectAttrs(LINK, input.select).attrs,
        );
      },
    }),
    method({
      resource: 'links',
      name: 'delete',
      httpMethod: 'DELETE',
      path: 'links/{uuid}',
      description: 'Revoke a permission link.',
      parameters: UUID_PARAM('link'),
      response: 'Link',
      gate: 'active',
      audit: 'permissions.revoke',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) =>
        render(deps, LINK, await grants.revoke(deps, actor, { uuid: input.uuid })),
    }),
    method({
      resource: 'links',
      name: 'get_permissions',
      httpMethod: 'GET',
      path: 'permissions/{uuid}',
      description: 'The permission links whose head is the given object.',
      parameters: UUID_PARAM('object'),
      response: 'LinkList',
      gate: 'active',
      input: z.object({ uuid: PathUuid }),
      async handle({ actor }, input) {
        const filters = [
          ['headUuid', '=', input.uuid],
          ['linkClass', '=', 'permission'],
        ];
        const page = await grants.listLinks(
          deps,
          actor,
          parseInput(ListLinksInput, { filters, limit: 1000, count: true }),
        );
        return renderList(deps, LINK, page);
      },
    }),
    method({
      resource: 'computed_permissions',
      name: 'list',
      httpMethod: 'GET',
      path: 'computed_permissions',
      description:
        'Every user\'s effective level on each group and user (admin). Page with a filter ["user_uuid", ">", last].',
      parameters: {
        filters: LIST_PARAMS.filters!,
        limit: param('integer', 'How many users to cover (each gives one row per target).', {
          default: '100',
        }),
        offset: param('integer', 'Must be 0.', { default: '0' }),
        count: param('string', 'Must be "none" or absent.'),
      },
      response: 'ComputedPermissionList',
      gate: 'admin',
      input: ListParams,
      async handle(_call, params) {
        if (params.offset)
          throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'offset must be 0', { field: 'offset' });
        if (params.count === 'exact')
          throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'count must be "none"', { field: 'count' });
        const input: Record<string, unknown> = { limit: Math.min(params.limit ?? 100, 1000) };
        for (const f of params.filters ?? []) {
          const [name, op, operand] = f;
          if (name === 'user_uuid' && op === '=') input.userUuid = operand;
          else if (name === 'target_uuid' && op === '=') input.targetUuid = operand;
          else if (name === 'user_uuid' && op === '>') input.cursor = operand;
          else {
            throw new AppError(
              'BAD_REQUEST',
              'VALIDATION_FAILED',
              `Unsupported filter ${JSON.stringify(f)}: use user_uuid =, user_uuid > or target_uuid =`,
              {
                field: 'filters',
              },
            );
          }
        }
        const page = await grants.computedPermissions(deps, parseInput(ComputedPermissionsInput, input));
        return {
          kind: 'arvados#computedPermissionList',
          limit: input.limit,
          items: page.items.map((row) => render(deps, COMPUTED_PERMISSION, row)),
        };
      },
    }),
  ];
}
