import type { Request } from 'express';
import type { Deps } from '../../services/deps';
import type { ArvResource, AttrType } from './list';

/**
 * The Arvados discovery document (`GET /discovery/v1/apis/arvados/v1/rest`), from which the
 * Arvados Python SDK (through googleapiclient) builds its API object. It is generated from the
 * table of methods the Arvados facade serves, so it lists exactly those and nothing more.
 */

export interface Param {
  type: 'string' | 'integer' | 'boolean' | 'array' | 'object';
  location: 'path' | 'query';
  required?: boolean;
  description?: string;
  default?: string;
}

export interface MethodDoc {
  resource: string;
  name: string;
  httpMethod: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to `servicePath`, e.g. `users/{uuid}`. */
  path: string;
  description: string;
  parameters: Record<string, Param>;
  /** The body's one property and its schema, e.g. `user` → `User`. */
  request?: { property: string; schema: string };
  response: string;
}

const JSON_TYPE: Record<AttrType, object> = {
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  datetime: { type: 'datetime' },
  integer: { type: 'integer' },
  array: { type: 'array', items: { type: 'string' } },
  object: { type: 'object' },
};

function schemas(resources: ArvResource[]) {
  const out: Record<string, unknown> = {};
  for (const r of resources) {
    out[r.schema] = {
      id: r.schema,
      description: r.schema,
      type: 'object',
      properties: Object.fromEntries(Object.entries(r.attrs).map(([name, a]) => [name, JSON_TYPE[a.type]])),
    };
    out[`${r.schema}List`] = {
      id: `${r.schema}List`,
      description: `A list of ${r.schema} objects.`,
      type: 'object',
      properties: {
        kind: { type: 'string', default: `${r.kind}List` },
        offset: { type: 'integer' },
        limit: { type: 'integer' },
        items: { type: 'array', items: { $ref: r.schema } },
        items_available: { type: 'integer' },
      },
    };
  }
  return out;
}

/** Bytes in a size like `100kb`, as the SDK's `maxRequestSize` wants them. */
function bytes(size: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!m) return 0;
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[m[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(m[1]) * unit;
}

export function discoveryDocument(deps: Deps, req: Request, methods: MethodDoc[], resources: ArvResource[]) {
  // The SDK joins rootUrl and servicePath for every request, so rootUrl is this server as the client reached it.
  const rootUrl = `${req.protocol}://${req.get('host')}/`;
  const resourcesDoc: Record<string, { methods: Record<string, unknown> }> = {};
  for (const m of methods) {
    resourcesDoc[m.resource] ??= { methods: {} };
    const r = resourcesDoc[m.resource]!;
    const pathParams = Object.entries(m.parameters)
      .filter(([, p]) => p.location === 'path')
      .map(([name]) => name);
    r.methods[m.name] = {
      id: `arvados.${m.resource}.${m.name}`,
      path: m.path,
      httpMethod: m.httpMethod,
      description: m.description,
      parameters: m.parameters,
      ...(pathParams.length ? { parameterOrder: pathParams } : {}),
      ...(m.request
        ? { request: { required: true, properties: { [m.request.property]: { $ref: m.request.schema } } } }
        : {}),
      response: { $ref: m.response },
      scopes: ['https://api.arvados.org/auth/arvados'],
    };
  }
  return {
    kind: 'discovery#restDescription',
    discoveryVersion: 'v1',
    id: 'arvados:v1',
    name: 'arvados',
    version: 'v1',
    revision: '20250101',
    title: 'Roster (Arvados-compatible users, groups and tokens)',
    description:
      'The Arvados API subset that Roster serves: users, API client authorizations, groups and links.',
    protocol: 'rest',
    rootUrl,
    baseUrl: `${rootUrl}arvados/v1/`,
    servicePath: 'arvados/v1/',
    basePath: '/arvados/v1/',
    batchPath: 'batch',
    uuidPrefix: deps.config.clusterId,
    maxRequestSize: bytes(deps.config.bodyLimit),
    parameters: {
      alt: {
        type: 'string',
        description: 'Data format for the response.',
        default: 'json',
        location: 'query',
      },
    },
    auth: {
      oauth2: {
        scopes: { 'https://api.arvados.org/auth/arvados': { description: 'View and manage objects' } },
      },
    },
    schemas: schemas(resources),
    resources: resourcesDoc,
  };
}
