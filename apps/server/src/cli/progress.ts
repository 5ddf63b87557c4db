import { Presets, SingleBar } from 'cli-progress';

/** What long work reports as it goes; the CLI draws a bar, tests pass nothing. */
export interface Progress {
  start(total: number): void;
  increment(n?: number): void;
  stop(): void;
}

/** A bar on stderr when it is a terminal (stdout may be the export itself); silent otherwise. */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      etaBuffer: 200,
    },
    Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    increment: (n = 1) => bar.increment(n),
    stop: () => bar.stop(),
  };
}
