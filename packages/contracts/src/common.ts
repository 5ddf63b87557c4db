import { z } from 'zod';

/** `<cluster>-<type>-<15 chars>`, the Arvados identifier form used for every object. */
export const UUID_TYPES = {
  user: 'tpzed',
  group: 'j7d0g',
  token: 'gj3su',
  link: 'o0j2j',
  auditEvent: '57u5n',
  agreement: '4zz18',
  operation: 'xvhdp',
} as const;
export type UuidType = keyof typeof UUID_TYPES;

export const ClusterId = z.string().regex(/^[a-z0-9]{5}$/, 'must be 5 lowercase letters or digits');

export const Uuid = z
  .string()
  .regex(/^[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{15}$/, 'must be a uuid like zzzzz-tpzed-0123456789abcde');

export function uuidOf(type: UuidType) {
  const infix = UUID_TYPES[type];
  return Uuid.refine((v) => v.slice(6, 11) === infix, `must be a ${type} uuid (…-${infix}-…)`);
}
export const UserUuid = uuidOf('user');
export const GroupUuid = uuidOf('group');
export const TokenUuid = uuidOf('token');

/** Timestamps travel as ISO-8601 strings so that REST and tRPC clients see the same thing. */
export const Timestamp = z.iso.datetime({ offset: true });

/** Stable, machine-readable error codes carried in every error response next to the HTTP/tRPC code. */
export const AppErrorCode = z.enum([
  'VALIDATION_FAILED',
  'USERNAME_TAKEN',
  'EMAIL_TAKEN',
  'IDENTITY_URL_TAKEN',
  'CONFLICT',
  'INVALID_CREDENTIALS',
  'PASSWORD_EXPIRED',
  'PASSWORD_POLICY',
  'SIGNUP_DISABLED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CSRF_FAILED',
  'INVARIANT_VIOLATION',
  'RATE_LIMITED',
  'DATABASE_UNAVAILABLE',
  'PAYLOAD_TOO_LARGE',
  'INTERNAL',
]);
export type AppErrorCode = z.infer<typeof AppErrorCode>;

const MAX_PREFS_DEPTH = 8;
const MAX_PREFS_BYTES = 16_384;

function prefsProblems(value: unknown, path: string, depth: number, inArray: boolean, out: string[]): void {
  if (out.length > 10) return;
  if (depth > MAX_PREFS_DEPTH) {
    out.push(`${path || 'prefs'} is nested deeper than ${MAX_PREFS_DEPTH} levels`);
    return;
  }
  if (Array.isArray(value)) {
    // MongoDB (and the portable subset in DESIGN.md) has no nested arrays.
    if (inArray) out.push(`${path} is an array inside an array, which cannot be stored`);
    for (const [i, v] of value.entries()) prefsProblems(v, `${path}[${i}]`, depth + 1, true, out);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '' || key.includes('.') || key.startsWith('$') || key.includes('\u0000')) {
        out.push(
          `key ${JSON.stringify(key)} in ${path || 'prefs'} may not be empty, contain "." or NUL, or start with "$"`,
        );
      }
      prefsProblems(v, path ? `${path}.${key}` : key, depth + 1, false, out);
    }
    return;
  }
  if (typeof value === 'string' && value.includes('\u0000')) out.push(`${path} contains a NUL character`);
}

/** Free-form user preferences: a JSON object whose keys can be stored as they are in MongoDB. */
export const Prefs = z.record(z.string(), z.json()).superRefine((prefs, ctx) => {
  const problems: string[] = [];
  prefsProblems(prefs, '', 0, false, problems);
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
  if (JSON.stringify(prefs).length > MAX_PREFS_BYTES) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_PREFS_BYTES} bytes of JSON` });
  }
});
export type Prefs = z.infer<typeof Prefs>;

/** A string free of NUL characters, which no field of Roster accepts. */
export function text(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'may not contain NUL characters');
}
