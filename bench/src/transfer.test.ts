import { describe, expect, it } from 'vitest';
import { userDocument } from './seed';
import { parseImportSummary, transferRecord } from './transfer';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA';

describe('transferRecord', () => {
  it('writes a seeded user as roster export does, with its PHC hash and dates', () => {
    const now = Date.parse('2026-01-31T12:00:00Z');
    const doc = userDocument({ db: undefined as never, clusterId: 'zzzzz', passwordHash: HASH }, 3, 0, now);
    const record = transferRecord(doc);
    expect(record).toMatchObject({
      type: 'user',
      uuid: doc.uuid,
      username: 'seed3',
      email: 'seed3@example.com',
      isAdmin: false,
      isActive: true,
      isInvited: true,
      passwordHash: HASH,
      passwordExpiresAt: null,
      lastLoginAt: null,
      createdAt: doc.createdAt.toISOString(),
    });
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});

describe('parseImportSummary', () => {
  it("reads the first line of the import's report", () => {
    const out = '1000 created, 0 skipped, 2 rejected in 6.9 s\n  user: 1000 created, 0 skipped, 2 rejected\n';
    expect(parseImportSummary(out)).toEqual({ created: 1000, skipped: 0, rejected: 2, seconds: 6.9 });
    expect(parseImportSummary('roster: connection refused\n')).toBeNull();
  });
});
