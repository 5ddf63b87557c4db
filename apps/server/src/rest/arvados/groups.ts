import { GroupCreateInput, GroupUpdateInput, ListGroupsInput } from '@roster/contracts';
import { z } from 'zod';
import { AppError } from '../../lib/errors';
import type { Deps } from '../../services/deps';
import * as groups from '../../services/groups';
import { parseInput } from '../shared';
import {
  type ArvMethod,
  BodyObject,
  checkList,
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
import { GROUP } from './resources';

/** A group body: role groups only, without properties. */
function groupBody(raw: Record<string, unknown>) {
  const { group_class: groupClass, properties, ...rest } = raw;
  if (groupClass !== undefined && groupClass !== 'role') {
    throw new AppError(
      'BAD_REQUEST',
      'VALIDATION_FAILED',
      'Roster has role groups only (group_class "role")',
      {
        field: 'group_class',
      },
    );
  }
  if (properties && Object.keys(properties as object).length) {
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'Roster groups have no properties', {
      field: 'properties',
    });
  }
  return renamed(rest, { name: 'name', description: 'description', owner_uuid: 'ownerUuid' });
}

/** Role groups (Roster has no projects or filter groups). */
export function groupMethods(deps: Deps): ArvMethod<unknown>[] {
  return [
    method({
      resource: 'groups',
      name: 'list',
      httpMethod: 'GET',
      path: 'groups',
      description: 'List the groups you can read.',
      parameters: {
        ...LIST_PARAMS,
        include_trash: param('boolean', 'Accepted and ignored: nothing is trashed.', { default: 'false' }),
      },
      response: 'GroupList',
      gate: 'active',
      input: ListParams,
      async handle({ actor }, params) {
        checkList(actor, params);
        const t = translateList(GROUP, params);
        return renderList(
          deps,
          GROUP,
          await groups.listGroups(deps, actor, parseInput(ListGroupsInput, t)),
          t.attrs,
        );
      },
    }),
    method({
      resource: 'groups',
      name: 'create',
      httpMethod: 'POST',
      path: 'groups',
      description: 'Create a role group.',
      parameters: {
        ...SELECT_PARAM,
        ensure_unique_name: param('boolean', 'Accepted and ignored.', { default: 'false' }),
      },
      request: { property: 'group', schema: 'Group' },
      response: 'Group',
      gate: 'active',
      audit: 'groups.create',
      input: z.object({ group: BodyObject('group'), select: Select }),
      async handle({ actor }, input) {
        const fields = groupBody(input.group);
        const view = await groups.createGroup(deps, actor, parseInput(GroupCreateInput.strict(), fields));
        return render(deps, GROUP, view, selectAttrs(GROUP, input.select).attrs);
      },
    }),
    method({
      resource: 'groups',
      name: 'get',
      httpMethod: 'GET',
      path: 'groups/{uuid}',
      description: 'Get a group by uuid.',
      parameters: { ...UUID_PARAM('group'), ...SELECT_PARAM },
      response: 'Group',
      gate: 'active',
      input: z.object({ uuid: PathUuid, select: Select }),
      handle: async ({ actor }, input) =>
        render(
          deps,
          GROUP,
          await groups.getGroup(deps, actor, input.uuid),
          selectAttrs(GROUP, input.select).attrs,
        ),
    }),
    method({
      resource: 'groups',
      name: 'update',
      httpMethod: 'PUT',
      patch: true,
      path: 'groups/{uuid}',
      description: "Change a group's name, description or owner.",
      parameters: { ...UUID_PARAM('group'), ...SELECT_PARAM },
      request: { property: 'group', schema: 'Group' },
      response: 'Group',
      gate: 'active',
      audit: 'groups.update',
      input: z.object({ uuid: PathUuid, group: BodyObject('group'), select: Select }),
      async handle({ actor }, input) {
        const { uuid: _same, ...attrs } = input.group;
        const patch = parseInput(GroupUpdateInput.shape.patch.strict(), groupBody(attrs));
        const view = await groups.updateGroup(
          deps,
          actor,
          parseInput(GroupUpdateInput, { uuid: input.uuid, patch }),
        );
        return render(deps, GROUP, view, selectAttrs(GROUP, input.select).attrs);
      },
    }),
    method({
      resource: 'groups',
      name: 'delete',
      httpMethod: 'DELETE',
      path: 'groups/{uuid}',
      description: 'Delete a group and every link to or from it.',
      parameters: UUID_PARAM('group'),
      response: 'Group',
      gate: 'active',
      audit: 'groups.delete',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) =>
        render(deps, GROUP, await groups.deleteGroup(deps, actor, input.uuid)),
    }),
  ];
}
