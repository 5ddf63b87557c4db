import { describe, expect, it } from 'vitest';
import { compareRounds, formatNumber, percentile, ratio, summarize } from './stats';

describe('percentile', () => {
  it('interpolates between the closest ranks of the sorted samples', () => {
    expect(percentile([40, 10, 30, 20], 50)).toBe(25);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBeCloseTo(9.55);
    expect(percentile([5], 99)).toBe(5);
  });

  it('gives the extremes at 0 and 100, and NaN without samples', () => {
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('reports count, extremes, mean and percentiles', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toMatchObject({ n: 101, min: 0, max: 100, mean: 50, p50: 50, p95: 95, p99: 99 });
  });
});

describe('ratio', () => {
  it('divides by the baseline, and gives null when there is no usable baseline', () => {
    expect(ratio(45, 50)).toBe(0.9);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 3)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
    expect(ratio(Number.NaN, 3)).toBeNull();
  });
});

describe('formatNumber', () => {
  it('keeps about three significant digits', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.01234)).toBe('0.012');
    expect(formatNumber(null)).toBe('–');
  });
});

describe('compareRounds', () => {
  it('takes the median of per-round ratios, and their range', () => {
    const c = compareRounds([40, 45, 20], [50, 50, 40]);
    expect(c.value).toBe(40);
    expect(c.baseline).toBe(50);
    expect(c.ratio).toBe(0.8);
    expect(c.range).toEqual([0.5, 0.9]);
  });

  it('has no range for a single round', () => {
    expect(compareRounds([3], [6])).toEqual({ value: 3, baseline: 6, ratio: 0.5, range: null });
  });
});
