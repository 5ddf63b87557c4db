import { describe, expect, it } from 'vitest';
import { datedName, type Results, renderTable } from './report';

const results = (figures: Results['figures'], notMeasured: Results['notMeasured'] = []): Results => ({
  meta: {
    date: '2026-01-31T12:34:56.789Z',
    machine: { cores: 2, cpuModel: 'Test CPU', memoryGiB: 24, platform: 'Linux' },
    node: '20.19.0',
    database: 'embedded',
    scale: 'default',
    durationSeconds: 200,
    settings: {},
  },
  figures,
  notMeasured,
  details: {},
});

describe('renderTable', () => {
  it('shows each figure with its baseline, its ratio and whether the target was met', () => {
    const table = renderTable(
      results([
        {
          section: 'Login',
          name: 'auth.login',
          value: 45,
          unit: 'logins/s',
          baseline: { name: 'raw verify', value: 60, unit: '/s' },
          ratio: 0.75,
          target: { atLeast: 0.9 },
        },
        {
          section: 'Reads',
          name: 'users.current',
          value: 600,
          unit: 'req/s',
          baseline: { name: 'bare', value: 1000, unit: 'req/s' },
          ratio: 0.6,
          target: { atLeast: 0.5 },
        },
      ]),
    );
    expect(table).toContain('Roster benchmark, 2026-01-31: 2 cores (Test CPU), 24 GiB');
    expect(table).toContain(
      '| Login | auth.login | 45.0 logins/s | raw verify: 60.0 /s | 0.75 | ≥ 0.9 (missed) |',
    );
    expect(table).toContain('| Reads | users.current | 600 req/s | bare: 1,000 req/s | 0.60 | ≥ 0.5 (met) |');
  });

  it('lists what could not be measured, with the reason', () => {
    const table = renderTable(
      results([], [{ section: 'Peer', name: 'Better Auth', reason: 'sign-up answered 500: no | pipes' }]),
    );
    expect(table).toContain(
      '| Peer | Better Auth | not measured | sign-up answered 500: no \\| pipes | – | |',
    );
  });
});

describe('datedName', () => {
  it('makes a file name without colons from the run date', () => {
    expect(datedName('2026-01-31T12:34:56.789Z')).toBe('2026-01-31T12-34-56Z.json');
  });
});
