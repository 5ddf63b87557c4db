import type { AuditEventView, ListAuditInput } from '@roster/contracts';
import type { z } from 'zod';
import type { AuditDoc } from '../db/models';
import { logFor } from '../http/logging';
import { newUuid } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import type { Deps, RequestMeta } from './deps';
import { runList } from './listing';

const SECRET_KEY = /pass(word)?|secret|token|hash|csrf/i;

/** A copy of a value with every credential-looking field replaced, so no secret reaches the log. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
    );
  }
  if (typeof value === 'string') return value.length > 500 ? `${value.slice(0, 500)}…` : value;
  return value;
}

export interface AuditRecord {
  actorUuid: string | null;
  action: string;
  targetUuid: string | null;
  outcome: 'success' | 'failure' | 'denied';
  errorCode?: string | null;
  changes?: unknown;
  meta: RequestMeta;
}

/** Writes one audit event. A failure to write is logged, never hidden, and never fails the request. */
export async function recordAudit(deps: Deps, r: AuditRecord): Promise<void> {
  try {
    // A plain insert of every field of the schema: every mutation writes one.
    await deps.models.AuditEvent.collection.insertOne({
      uuid: newUuid(deps.config.clusterId, 'auditEvent'),
      at: new Date(),
      actorUuid: r.actorUuid,
      action: r.action,
      targetUuid: r.targetUuid,
      outcome: r.outcome,
      errorCode: r.errorCode ?? null,
      changes: (redact(r.changes ?? {}) as Record<string, unknown>) ?? {},
      requestId: r.meta.requestId || null,
      ip: r.meta.ip,
    });
  } catch (err) {
    logFor(deps.logger, r.meta).error({ err, action: r.action }, 'could not write an audit event');
  }
}

export function toAuditView(e: AuditDoc): AuditEventView {
  return {
    uuid: e.uuid,
    at: e.at.toISOString(),
    actorUuid: e.actorUuid ?? null,
    action: e.action,
    targetUuid: e.targetUuid ?? null,
    outcome: e.outcome as AuditEventView['outcome'],
    errorCode: e.errorCode ?? null,
    changes: (e.changes ?? {}) as Record<string, unknown>,
    requestId: e.requestId ?? null,
    ip: e.ip ?? null,
  };
}

const AUDIT_LIST: ListSpec = {
  fields: {
    uuid: { type: 'uuid' },
    actorUuid: { type: 'uuid' },
    targetUuid: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string' },
    at: { type: 'date' },
  },
  tiebreak: 'uuid',
  defaultOrder: [{ field: 'at', dir: 'desc' }],
};

export async function listAudit(deps: Deps, input: z.output<typeof ListAuditInput>) {
  return runList(deps.models.AuditEvent, planList(AUDIT_LIST, input), input, (docs: AuditDoc[]) =>
    docs.map(toAuditView),
  );
}
