import { GroupCreateInput, PermissionLevel, Timestamp, UserCreateInput } from '@roster/contracts';
import { z } from 'zod';

/**
 * The transfer format of `roster export` and `roster import`: one record per line (JSON Lines) or
 * per row (CSV), users first, then groups, then permission links. Records refer to each other by
 * the `uuid` they had where they were exported (any unique string in a hand-made file); the
 * importing directory gives them new uuids. See README.md, "Operations".
 */

/** A reference to another record of the file, or to an object that already exists here. */
const Ref = z.string().trim().min(1, 'is required').max(128, 'must be at most 128 characters');
const Stamp = Timestamp.nullable().optional();

export const UserRecord = z.object({
  type: z.literal('user'),
  uuid: Ref.optional(),
  username: UserCreateInput.shape.username,
  email: UserCreateInput.shape.email,
  firstName: UserCreateInput.shape.firstName,
  lastName: UserCreateInput.shape.lastName,
  identityUrl: UserCreateInput.shape.identityUrl,
  isAdmin: z.boolean().default(false),
  /** Default: ROSTER_AUTO_SETUP_NEW_USERS, as for any new user. */
  isActive: z.boolean().optional(),
  /** Member of "All users" (set up). Default: active, or ROSTER_AUTO_SETUP_NEW_USERS. */
  isInvited: z.boolean().optional(),
  prefs: UserCreateInput.shape.prefs,
  /** A clear-text password, hashed on import (slow by design: prefer passwordHash to move users). */
  password: UserCreateInput.shape.password,
  /** An argon2 PHC string, taken as it is: the user keeps their password. */
  passwordHash: z.string().max(1024).optional(),
  passwordChangedAt: Stamp,
  passwordExpiresAt: Stamp,
  lastLoginAt: Stamp,
  createdAt: Timestamp.optional(),
});
export type UserRecord = z.infer<typeof UserRecord>;

export const GroupRecord = z.object({
  type: z.literal('group'),
  uuid: Ref.optional(),
  name: GroupCreateInput.shape.name,
  description: GroupCreateInput.shape.description,
  /** A user or group of the file (above this line) or of the directory; default the system user. */
  ownerUuid: Ref.optional(),
  createdAt: Timestamp.optional(),
});
export type GroupRecord = z.infer<typeof GroupRecord>;

/** A permission link: `tailUuid` (a user or group) has `level` on `headUuid` (a user or group). */
export const PermissionRecord = z.object({
  type: z.literal('permission'),
  tailUuid: Ref,
  headUuid: Ref,
  level: PermissionLevel,
});
export type PermissionRecord = z.infer<typeof PermissionRecord>;

export const TransferRecord = z.discriminatedUnion('type', [UserRecord, GroupRecord, PermissionRecord]);
export type TransferRecord = z.infer<typeof TransferRecord>;

/** CSV columns: the union of the three kinds; a row fills the ones of its `type`. */
export const CSV_COLUMNS = [
  'type',
  'uuid',
  'username',
  'email',
  'firstName',
  'lastName',
  'identityUrl',
  'isAdmin',
  'isActive',
  'isInvited',
  'prefs',
  'passwordHash',
  'passwordChangedAt',
  'passwordExpiresAt',
  'lastLoginAt',
  'createdAt',
  'name',
  'description',
  'ownerUuid',
  'tailUuid',
  'headUuid',
  'level',
] as const;

const BOOLEAN_FIELDS = new Set(['isAdmin', 'isActive', 'isInvited']);
const TRUE = new Set(['true', '1', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'no', 'n']);
/** Cleared by an explicit null in JSON Lines; absent means "the importer's default". */
const NULLABLE_FIELDS = new Set(['passwordChangedAt', 'passwordExpiresAt', 'lastLoginAt']);

/**
 * A JSON object as read from a line: nulls become "absent" (export writes null for an empty
 * field), except the timestamps whose null means "none".
 */
export function fromJsonObject(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k, v]) => v !== null || NULLABLE_FIELDS.has(k)));
}

/**
 * A CSV row as strings: empty cells are absent, booleans and prefs are parsed, and a row without a
 * `type` column is a user (a spreadsheet of people needs no type column).
 */
export function fromCsvRow(
  row: Record<string, string>,
): { record: Record<string, unknown>; error?: undefined } | { error: string } {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(row)) {
    const value = raw.trim() === '' ? undefined : raw;
    if (value === undefined) continue;
    if (BOOLEAN_FIELDS.has(key)) {
      const v = value.trim().toLowerCase();
      if (TRUE.has(v)) out[key] = true;
      else if (FALSE.has(v)) out[key] = false;
      else return { error: `${key}: must be true or false` };
    } else if (key === 'prefs') {
      try {
        out.prefs = JSON.parse(value);
      } catch {
        return { error: 'prefs: must be a JSON object' };
      }
    } else {
      out[key] = value;
    }
  }
  out.type ??= 'user';
  return { record: out };
}

/** A record as a CSV row (strings, empty for absent). */
export function toCsvRow(record: Record<string, unknown>): string[] {
  return CSV_COLUMNS.map((c) => {
    const v = record[c];
    if (v === undefined || v === null) return '';
    if (c === 'prefs') return JSON.stringify(v);
    return String(v);
  });
}

/** "field: message" of the first issue, for a one-line report. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid record';
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
