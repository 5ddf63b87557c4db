import { expect } from 'vitest';
import type { TestServer } from '../../src/testing';

/**
 * Fails if the server's log lines or its audit trail hold a password, a password hash, a token
 * secret (or its SHA-256) or any `v2/<uuid>/<secret>` token: what a client run must never leave
 * behind. `known` are the plain passwords and tokens the run used.
 */
export async function expectNoSecretsLeft(server: TestServer, logLines: string[], known: string[]) {
  const hashes = (await server.deps.models.User.find({}, { passwordHash: 1 }).lean())
    .map((u) => u.passwordHash)
    .filter((h): h is string => Boolean(h));
  const secretHashes = (await server.deps.models.Token.find({}, { secretHash: 1 }).lean()).map(
    (t) => t.secretHash,
  );
  const events = await server.deps.models.AuditEvent.find({}).lean();
  const text = `${logLines.join('\n')}\n${JSON.stringify(events)}`;
  expect(logLines.length, 'the run logged nothing to scan').toBeGreaterThan(20);
  for (const secret of [...known, ...hashes, ...secretHashes, '$argon2'])
    expect(text.includes(secret), `found ${secret.slice(0, 12)}…`).toBe(false);
  const token = /v2\/[a-z0-9-]+\/[a-z0-9]{20,}/.exec(text);
  expect(token?.[0], 'a token in the log or the audit trail').toBeUndefined();
}
