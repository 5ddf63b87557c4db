import express, { type RequestHandler, type Router } from 'express';
import { AppError } from '../../lib/errors';
import type { Deps } from '../../services/deps';
import { bareCall, restHandler } from '../shared';
import { arvadosRateLimit, dialect, sendError } from './common';
import { discoveryDocument } from './discovery';
import { groupMethods } from './groups';
import { linkMethods } from './links';
import { RESOURCES } from './resources';
import { tokenMethods } from './tokens';
import { authenticateHandler, userMethods } from './users';

/**
 * Arvados's REST dialect at /arvados/v1 (users, api_client_authorizations, groups, links,
 * computed_permissions) and its discovery document, so that the Arvados Python SDK works
 * against Roster. One table of methods drives both the routes and the discovery document.
 */

export { sendError as sendArvadosError } from './common';

export function arvadosRouter(deps: Deps): { api: Router; discovery: RequestHandler } {
  const router = express.Router();
  const table = [...userMethods(deps), ...tokenMethods(deps), ...groupMethods(deps), ...linkMethods(deps)];

  router.use((req, _res, next) => {
    // Long GET requests come as POST with an override (the SDK does this past 2048 characters).
    const override =
      req.get('x-http-method-override') ?? (req.body as { _method?: unknown } | undefined)?._method;
    if (req.method === 'POST' && typeof override === 'string' && override.toUpperCase() === 'GET')
      req.method = 'GET';
    // Arvados also takes the token as a parameter; Roster reads it from one place, the header.
    const q = req.query as Record<string, unknown>;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const token = q.api_token ?? q.oauth_token ?? b.api_token ?? b.oauth_token;
    if (!req.headers.authorization && typeof token === 'string' && token)
      req.headers.authorization = `Bearer ${token}`;
    next();
  });

  router.post('/users/authenticate', ...authenticateHandler(deps));

  for (const m of table) {
    const path = `/${m.path.replace(/\{(\w+)\}/g, ':$1')}`;
    const handler = restHandler(deps, dialect, m.gate, { input: m.input, audit: m.audit, handle: m.handle });
    const verbs = [
      m.httpMethod.toLowerCase() as 'get' | 'post' | 'put' | 'delete',
      ...(m.patch ? (['patch'] as const) : []),
    ];
    const limited = m.rateLimited ? [arvadosRateLimit(deps)] : [];
    for (const verb of verbs) router[verb](path, ...limited, handler);
  }

  router.use((req, res) => {
    sendError(bareCall(deps, req, res), new AppError('NOT_FOUND', 'NOT_FOUND', 'Path not found'));
  });

  const discovery: RequestHandler = (req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.json(discoveryDocument(deps, req, table, RESOURCES));
  };
  return { api: router, discovery };
}
