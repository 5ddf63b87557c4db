import type { AnyRouter } from '@trpc/server';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import { appRouter } from '../router';
import { activeProcedure, adminProcedure, authedProcedure } from '../trpc';

type JsonSchema = Record<string, unknown>;

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  inputs: z.ZodType[];
  output?: z.ZodType;
  middlewares: unknown[];
}

export type Access = 'anyone' | 'signed in' | 'active user' | 'admin';

/** The last middleware each builder adds identifies procedures built on it (trpc.ts composes them in that order). */
const lastMiddleware = (builder: unknown) => (builder as { _def: ProcedureDef })._def.middlewares.at(-1);
const ACCESS_MARKERS: [Access, unknown][] = [
  ['admin', lastMiddleware(adminProcedure)],
  ['active user', lastMiddleware(activeProcedure)],
  ['signed in', lastMiddleware(authedProcedure)],
];

function accessOf(def: ProcedureDef): Access {
  return ACCESS_MARKERS.find(([, m]) => def.middlewares.includes(m))?.[0] ?? 'anyone';
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ErrorEnvelope = z.object({
  error: z.object({
    message: z.string(),
    code: z
      .number()
      .int()
      .describe('JSON-RPC 2.0 error code, e.g. -32600 (BAD_REQUEST), -32001 (UNAUTHORIZED)'),
    data: z.object({
      code: z.string().describe("tRPC's code: BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, …"),
      httpStatus: z.number().int(),
      path: z.string().optional(),
      appCode: z
        .string()
        .describe('Stable application code: VALIDATION_FAILED, USERNAME_TAKEN, INVALID_CREDENTIALS, …'),
      field: z.string().nullable().describe('The input field at fault, if any'),
      fieldErrors: z.record(z.string(), z.array(z.string())).nullable(),
      formErrors: z.array(z.string()).nullable(),
    }),
  }),
});

const DESCRIPTION = `Roster's native API is tRPC over HTTP. Every procedure below is one URL, \`/trpc/<procedure>\`.

- **Queries** are \`GET /trpc/<procedure>?input=<JSON, URL-encoded>\` (omit \`input\` when the procedure takes none).
- **Mutations** are \`POST /trpc/<procedure>\` with the input as the JSON body and \`content-type: application/json\`.
- **Success** answers 200 with \`{"result":{"data": <output>}}\`.
- **Errors** answer the HTTP status of the error (400, 401, 403, 404, 409, 413, 422, 429, 503, …) with
  \`{"error":{"message", "code", "data":{"code", "httpStatus", "appCode", "field", "fieldErrors", "formErrors"}}}\`;
  \`data.appCode\` is stable and meant for programs.
- **Batching** (optional): \`/trpc/a,b?batch=1\` with \`input={"0":<input of a>,"1":<input of b>}\` (GET) or that object as the
  body (POST); the answer is an array of envelopes in the same order.
- **Authentication**: \`Authorization: Bearer v2/<uuid>/<secret>\` (from \`auth.login\` or \`tokens.create\`). Browsers may use
  the \`roster_session\` cookie instead; mutations authenticated by that cookie need the \`x-csrf-token\` header.

Timestamps are ISO-8601 strings. This document is generated from the same zod schemas that validate every call.`;

/** Builds an OpenAPI 3.1 document of a tRPC router, one path per procedure. */
export function buildOpenApiDocument(router: AnyRouter, info: { title: string; version: string }) {
  const paths: Record<string, unknown> = {};
  const procedures = router._def.procedures as Record<string, { _def: ProcedureDef }>;
  for (const [name, { _def: def }] of Object.entries(procedures).sort(([a], [b]) => a.localeCompare(b))) {
    if (def.type === 'subscription') continue;
    const access = accessOf(def);
    const input = def.inputs.length
      ? def.inputs.length === 1
        ? def.inputs[0]!
        : def.inputs.reduce((a, b) => z.intersection(a, b))
      : undefined;
    const inputRequired = !!input && !input.safeParse(undefined).success;
    const inputSchema = input ? jsonSchema(input, 'input') : undefined;
    const operation: Record<string, unknown> = {
      operationId: name,
      tags: [name.split('.')[0]],
      summary: `${name} (${def.type}; ${access})`,
      'x-trpc-type': def.type,
      'x-roster-access': access,
      security:
        access === 'anyone' ? [{}, { bearer: [] }, { session: [] }] : [{ bearer: [] }, { session: [] }],
      responses: {
        '200': {
          description: 'The result',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  result: {
                    type: 'object',
                    properties: { data: def.output ? jsonSchema(def.output, 'output') : {} },
                    required: ['data'],
                  },
                },
                required: ['result'],
              },
            },
          },
        },
        default: {
          description: 'An error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (def.type === 'query') {
      if (inputSchema) {
        operation.parameters = [
          {
            name: 'input',
            in: 'query',
            required: inputRequired,
            description: 'The input as JSON, URL-encoded',
            content: { 'application/json': { schema: inputSchema } },
          },
        ];
      }
      paths[`/trpc/${name}`] = { get: operation };
    } else {
      if (inputSchema) {
        operation.requestBody = {
          required: inputRequired,
          content: { 'application/json': { schema: inputSchema } },
        };
      }
      paths[`/trpc/${name}`] = { post: operation };
    }
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: DESCRIPTION },
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorEnvelope, 'output') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API or session token `v2/<uuid>/<secret>`; `Authorization: OAuth2 <token>` works too',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'roster_session',
          description: 'The browser session set by auth.login; mutations also need the x-csrf-token header',
        },
      },
    },
  };
}

let cached: string | undefined;

/** GET /openapi.json: the document of the native API, built once. */
export const openApiHandler: RequestHandler = (_req, res) => {
  cached ??= JSON.stringify(buildOpenApiDocument(appRouter, { title: 'Roster', version: pkg.version }));
  res.type('application/json').send(cached);
};
