import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from './options';

describe('parseOptions', () => {
  it('measures lists at 10k and 100k users by default, in memory, with the peer', () => {
    expect(parseOptions([], {})).toMatchObject({
      scale: 'default',
      listSizes: [10_000, 100_000],
      backend: 'memory',
      peer: true,
    });
  });

  it('adds 1M users with --full or BENCH_SCALE=full', () => {
    expect(parseOptions(['--full'], {}).listSizes).toEqual([10_000, 100_000, 1_000_000]);
    expect(parseOptions([], { BENCH_SCALE: 'full' }).listSizes).toEqual([10_000, 100_000, 1_000_000]);
  });

  it('imports 100k users through the CLI by default and with --full, 2k with --quick', () => {
    expect(parseOptions([], {}).importUsers).toBe(100_000);
    expect(parseOptions(['--quick'], {}).importUsers).toBe(2_000);
    expect(parseOptions(['--full'], {}).importUsers).toBe(100_000);
  });

  it('takes the H2 backend, skipping the peer and MONGODB_URI', () => {
    const o = parseOptions(['--', '--h2', '--no-peer'], { MONGODB_URI: 'mongodb://127.0.0.1:27017' });
    expect(o).toMatchObject({ backend: 'h2', peer: false, mongodbUri: 'mongodb://127.0.0.1:27017' });
  });

  it('refuses unknown flags and scales', () => {
    expect(() => parseOptions(['--fast'], {})).toThrow(UsageError);
    expect(() => parseOptions([], { BENCH_SCALE: 'huge' })).toThrow(/BENCH_SCALE/);
  });
});
