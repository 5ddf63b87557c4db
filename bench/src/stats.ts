/** Summary statistics of latency samples and the ratios every figure is reported as. */

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0–100) of samples, by linear interpolation between closest ranks. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    return {
      n: 0,
      min: Number.NaN,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
    };
  }
  return {
    n: samples.length,
    min: Math.min(...samples),
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** value ÷ baseline, or null when either is missing or the baseline is zero. */
export function ratio(value: number | null | undefined, baseline: number | null | undefined): number | null {
  if (value == null || baseline == null || !Number.isFinite(value) || !Number.isFinite(baseline)) return null;
  if (baseline === 0) return null;
  return value / baseline;
}

/** A number with a precision that suits its size: 12 345, 123, 12.3, 1.23, 0.123. */
export function formatNumber(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  if (abs === 0) return '0';
  return v.toPrecision(2);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Comparison {
  /** Median of the measured values. */
  value: number;
  /** Median of the baselines. */
  baseline: number;
  /** Median of the per-round ratios value ÷ baseline. */
  ratio: number | null;
  /** Lowest and highest per-round ratio: the noise of this machine during the run. */
  range: [number, number] | null;
}

/**
 * Compares values with baselines measured in alternating rounds (baseline, value, baseline,
 * value, …): a burst of noise from a neighbour on a shared machine then hits one round of
 * both rather than all of one side.
 */
export function compareRounds(values: readonly number[], baselines: readonly number[]): Comparison {
  const ratios = values
    .map((v, i) => ratio(v, baselines[i]))
    .filter((r): r is number => r !== null)
    .sort((a, b) => a - b);
  return {
    value: median(values),
    baseline: median(baselines),
    ratio: ratios.length ? median(ratios) : null,
    range: ratios.length > 1 ? [ratios[0]!, ratios[ratios.length - 1]!] : null,
  };
}
