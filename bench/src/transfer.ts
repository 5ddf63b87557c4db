/**
 * The transfer format of `roster export` and `roster import` (apps/server/src/cli/records.ts), as
 * far as the bench writes and reads it: user records, and the import's summary line.
 */
import type { userDocument } from './seed';

/**
 * A seeded user (src/seed.ts) as `roster export` writes it (cli/export.ts, userRecord): the
 * PHC hash moves as it is, with its dates, and "All users" membership travels as `isInvited`.
 */
export function transferRecord(doc: ReturnType<typeof userDocument>): Record<string, unknown> {
  return {
    type: 'user',
    uuid: doc.uuid,
    username: doc.username,
    email: doc.email,
    firstName: doc.firstName,
    lastName: doc.lastName,
    isAdmin: doc.isAdmin,
    isActive: doc.isActive,
    isInvited: true,
    prefs: doc.prefs,
    passwordHash: doc.passwordHash,
    passwordChangedAt: doc.passwordChangedAt.toISOString(),
    passwordExpiresAt: null,
    lastLoginAt: doc.lastLoginAt?.toISOString() ?? null,
    createdAt: doc.createdAt.toISOString(),
  };
}

export interface ImportSummary {
  created: number;
  skipped: number;
  rejected: number;
  /** The import's own duration, without connecting and preparing the database. */
  seconds: number;
}

/** The first line of the import's summary (cli/program.ts, formatReport), or null. */
export function parseImportSummary(stdout: string): ImportSummary | null {
  const m = /^(\d+) created, (\d+) skipped, (\d+) rejected in ([\d.]+) s$/m.exec(stdout);
  if (!m) return null;
  return { created: Number(m[1]), skipped: Number(m[2]), rejected: Number(m[3]), seconds: Number(m[4]) };
}
