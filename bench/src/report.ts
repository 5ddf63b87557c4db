import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatNumber } from './stats';

/** One figure: a value, the baseline it is divided by (measured in the same run), and their ratio. */
export interface Figure {
  section: string;
  name: string;
  value: number | null;
  unit: string;
  baseline: { name: string; value: number | null; unit: string };
  ratio: number | null;
  /** Lowest and highest ratio over the alternating rounds the figure was measured in. */
  range?: [number, number] | null;
  /** What the ratio should reach (shown, never asserted). */
  target?: { atLeast?: number; atMost?: number };
  note?: string;
}

export interface NotMeasured {
  section: string;
  name: string;
  reason: string;
}

export interface Meta {
  date: string;
  machine: { cores: number; cpuModel: string; memoryGiB: number; platform: string };
  node: string;
  database: string;
  scale: string;
  durationSeconds: number;
  /**
   * Cores the machine actually gave the bench while 4 argon2 threads were busy (lowest and
   * highest round): a shared VM may give fewer than it has.
   */
  effectiveCores?: [number, number] | undefined;
  settings: Record<string, unknown>;
}

export interface Results {
  meta: Meta;
  figures: Figure[];
  notMeasured: NotMeasured[];
  /** Everything measured, in more detail than the table (latency percentiles, error counts, …). */
  details: Record<string, unknown>;
}

export function machine(): Meta['machine'] {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function targetText(f: Figure): string {
  if (!f.target) return '';
  const { atLeast, atMost } = f.target;
  const goal = atLeast !== undefined ? `≥ ${atLeast}` : atMost !== undefined ? `≤ ${atMost}` : '';
  if (f.ratio === null) return goal;
  const met = (atLeast === undefined || f.ratio >= atLeast) && (atMost === undefined || f.ratio <= atMost);
  return `${goal} (${met ? 'met' : 'missed'})`;
}

const fixed = (r: number) => r.toFixed(r >= 100 ? 0 : 2);

function ratioText(f: Figure): string {
  if (f.ratio === null) return '–';
  return f.range ? `${fixed(f.ratio)} (${fixed(f.range[0])}–${fixed(f.range[1])})` : fixed(f.ratio);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function valueText(value: number | null, unit: string): string {
  return value === null ? '–' : `${formatNumber(value)} ${unit}`.trim();
}

/** The results as a Markdown table with a one-line header (date, machine, database, scale). */
export function renderTable(r: Results): string {
  const m = r.meta;
  const header =
    `Roster benchmark, ${m.date.slice(0, 10)}: ${m.machine.cores} cores (${m.machine.cpuModel}), ` +
    `${m.machine.memoryGiB} GiB, Node ${m.node}; database: ${m.database}; scale: ${m.scale}; ` +
    `run took ${Math.round(m.durationSeconds)} s` +
    (m.effectiveCores
      ? `; the argon2 baseline got ${m.effectiveCores[0].toFixed(1)} to ${m.effectiveCores[1].toFixed(1)} ` +
        `of the ${m.machine.cores} cores.`
      : '.');
  const rows = [
    '| area | figure | value | baseline (same run) | ratio (range over rounds) | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const f of r.figures) {
    const baseline = `${f.baseline.name}: ${valueText(f.baseline.value, f.baseline.unit)}`;
    const name = f.note ? `${f.name} (${f.note})` : f.name;
    rows.push(
      `| ${cell(f.section)} | ${cell(name)} | ${cell(valueText(f.value, f.unit))} | ${cell(baseline)} | ` +
        `${ratioText(f)} | ${targetText(f)} |`,
    );
  }
  for (const n of r.notMeasured) {
    rows.push(`| ${cell(n.section)} | ${cell(n.name)} | not measured | ${cell(n.reason)} | – | |`);
  }
  return `${header}\n\n${rows.join('\n')}\n`;
}

/** A file name for this run's dated copy: 2026-01-31T12-34-56Z.json. */
export function datedName(date: string): string {
  return `${date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`;
}

/** Writes latest.json, latest.md and a dated copy of the JSON, each through a temporary file. */
export async function writeResults(dir: string, r: Results): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(r, null, 2)}\n`;
  const files: [string, string][] = [
    ['latest.json', json],
    [datedName(r.meta.date), json],
    ['latest.md', renderTable(r)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const target = path.join(dir, name);
    await fs.writeFile(`${target}.tmp`, text);
    await fs.rename(`${target}.tmp`, target);
    written.push(target);
  }
  return written;
}
