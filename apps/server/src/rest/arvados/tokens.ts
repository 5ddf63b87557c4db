import { ListTokensInput, TokenCreateInput } from '@roster/contracts';
import { z } from 'zod';
import { notFound } from '../../lib/errors';
import type { Deps } from '../../services/deps';
import * as tokens from '../../services/tokens';
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
import { TOKEN } from './resources';

export function tokenView(deps: Deps, view: Record<string, unknown>, secret?: string) {
  const out = render(deps, TOKEN, view);
  // The client builds its token as v2/<uuid>/<api_token>.
  if (secret) out.api_token = secret.split('/')[2] ?? null;
  return out;
}

export function tokenMethods(deps: Deps): ArvMethod<unknown>[] {
  return [
    method({
      resource: 'api_client_authorizations',
      name: 'current',
      httpMethod: 'GET',
      path: 'api_client_authorizations/current',
      description: 'The token of this request (without its secret).',
      parameters: {},
      response: 'ApiClientAuthorization',
      gate: 'authed',
      input: z.object({}),
      async handle({ actor }) {
        if (!actor.token) throw notFound('token');
        return tokenView(deps, tokens.toTokenView(actor.token, actor));
      },
    }),
    method({
      resource: 'api_client_authorizations',
      name: 'list',
      httpMethod: 'GET',
      path: 'api_client_authorizations',
      description: "List your tokens and sessions (admins: filter on owner_uuid for another user's).",
      parameters: LIST_PARAMS,
      response: 'ApiClientAuthorizationList',
      gate: 'authed',
      input: ListParams,
      async handle({ actor }, params) {
        checkList(actor, params);
        const t = translateList(TOKEN, params);
        return renderList(
          deps,
          TOKEN,
          await tokens.listTokens(deps, actor, parseInput(ListTokensInput, t)),
          t.attrs,
        );
      },
    }),
    method({
      resource: 'api_client_authorizations',
      name: 'create',
      httpMethod: 'POST',
      path: 'api_client_authorizations',
      description: 'Create an API token; its api_token is shown this once.',
      parameters: {
        ...SELECT_PARAM,
        ensure_unique_name: param('boolean', 'Accepted and ignored.', { default: 'false' }),
      },
      request: { property: 'api_client_authorization', schema: 'ApiClientAuthorization' },
      response: 'ApiClientAuthorization',
      gate: 'active',
      audit: 'tokens.create',
      rateLimited: true,
      input: z.object({ api_client_authorization: BodyObject('api_client_authorization').default({}) }),
      async handle(call, input) {
        const { uuid: _u, api_token: _t, ...attrs } = input.api_client_authorization;
        const fields = parseInput(
          TokenCreateInput.strict(),
          renamed(
            attrs,
            { owner_uuid: 'userUuid', expires_at: 'expiresAt', scopes: 'scopes' },
            { blank: 'drop' },
          ),
        );
        const created = await tokens.createApiToken(
          deps,
          call.actor,
          { ...fields, label: fields.label || 'arvados' },
          call.meta,
        );
        return tokenView(deps, created.token, created.secret);
      },
    }),
    method({
      resource: 'api_client_authorizations',
      name: 'get',
      httpMethod: 'GET',
      path: 'api_client_authorizations/{uuid}',
      description: 'Get one of your tokens by uuid.',
      parameters: { ...UUID_PARAM('token'), ...SELECT_PARAM },
      response: 'ApiClientAuthorization',
      gate: 'authed',
      input: z.object({ uuid: PathUuid, select: Select }),
      async handle({ actor }, input) {
        const page = await tokens.listTokens(
          deps,
          actor,
          parseInput(ListTokensInput, { filters: [['uuid', '=', input.uuid]], limit: 1 }),
        );
        if (!page.items[0]) throw notFound('token');
        return render(deps, TOKEN, page.items[0], selectAttrs(TOKEN, input.select).attrs);
      },
    }),
    method({
      resource: 'api_client_authorizations',
      name: 'delete',
      httpMethod: 'DELETE',
      path: 'api_client_authorizations/{uuid}',
      description: 'Revoke a token.',
      parameters: UUID_PARAM('token'),
      response: 'ApiClientAuthorization',
      gate: 'authed',
      audit: 'tokens.revoke',
      input: z.object({ uuid: PathUuid }),
      handle: async ({ actor }, input) => tokenView(deps, await tokens.revokeToken(deps, actor, input.uuid)),
    }),
  ];
}
