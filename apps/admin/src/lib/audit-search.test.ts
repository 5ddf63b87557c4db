import { ListAuditInput } from '@roster/contracts';
import { describe, expect, it } from 'vitest';
import { AUDIT_DEFAULTS, auditListInput, parseAuditSearch } from './audit-search';
import { paramsOf } from './url-state';

describe('audit search', () => {
  it('round-trips through the address, keeping only what differs from the defaults', () => {
    const state = {
      ...AUDIT_DEFAULTS,
      actor: 'chiefadmin',
      action: 'users.',
      outcome: 'denied' as const,
      from: '2026-01-02T03:04',
      page: 3,
    };
    const params = paramsOf(AUDIT_DEFAULTS, state);
    expect(params.toString()).toBe(
      'actor=chiefadmin&action=users.&outcome=denied&from=2026-01-02T03%3A04&page=3',
    );
    expect(parseAuditSearch(params)).toEqual(state);
  });

  it('falls back to the defaults for malformed values', () => {
    const parsed = parseAuditSearch(
      new URLSearchParams('outcome=maybe&from=yesterday&to=2026-13-45T99:99&page=-2&size=7&dir=up'),
    );
    expect(parsed).toEqual(AUDIT_DEFAULTS);
  });

  it('builds a list call the contract accepts, with the end minute included', () => {
    const input = auditListInput(
      {
        ...AUDIT_DEFAULTS,
        action: 'users.up_date%',
        outcome: 'success',
        from: '2026-01-02T03:04',
        to: '2026-01-02T05:00',
      },
      { actorUuid: 'zzzzz-tpzed-000000000000000' },
    );
    expect(ListAuditInput.safeParse(input).success).toBe(true);
    expect(input.filters).toEqual([
      ['actorUuid', '=', 'zzzzz-tpzed-000000000000000'],
      ['action', 'ilike', 'users.up\\_date\\%%'],
      ['outcome', '=', 'success'],
      ['at', '>=', new Date('2026-01-02T03:04').toISOString()],
      ['at', '<', new Date('2026-01-02T05:01').toISOString()],
    ]);
    expect(input).toMatchObject({ order: [{ field: 'at', dir: 'desc' }], limit: 50, offset: 0, count: true });
  });
});
