import { Presets, SingleBar } from 'cli-progress';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;

/** Progress goes to stderr, so that stdout carries only the result table. */
export function say(line: string): void {
  process.stderr.write(`[bench ${elapsed()}] ${line}\n`);
}

/**
 * A progress bar for a step of known size. On a terminal it redraws in place; elsewhere (CI,
 * a pipe) it prints a line every few seconds instead.
 */
export function bar(label: string, total: number, unit: string) {
  const b = new SingleBar(
    {
      format: `[bench ${elapsed()}]   ${label} [{bar}] {value}/{total} ${unit} ({percentage}%, {eta_formatted} left)`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  b.start(total, 0);
  return {
    update: (value: number) => b.update(value),
    stop: () => b.stop(),
  };
}

/** A bar that fills over a fixed duration, for load runs bounded in time. */
export function timedBar(label: string, seconds: number) {
  const b = bar(label, seconds, 's');
  const t0 = Date.now();
  const timer = setInterval(() => b.update(Math.min(seconds, Math.round((Date.now() - t0) / 1000))), 500);
  return {
    stop: () => {
      clearInterval(timer);
      b.update(seconds);
      b.stop();
    },
  };
}
