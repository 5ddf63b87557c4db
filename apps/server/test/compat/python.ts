import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = import.meta.dirname;

/** The venv's python, built on first use by ensure-venv.sh (cached under apps/server/.cache/venv). */
export async function ensureVenv(): Promise<{ python: string; ms: number }> {
  const started = Date.now();
  const { stdout } = await run('bash', [path.join(here, 'ensure-venv.sh')], {
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const python = stdout.trim().split('\n').pop()!;
  return { python, ms: Date.now() - started };
}

/** Runs one of the client scripts beside this file and returns the JSON it prints. */
export async function runClient(
  python: string,
  script: string,
  env: Record<string, string>,
  // biome-ignore lint/suspicious/noExplicitAny: the scripts print free-form JSON, asserted field by field
): Promise<{ out: Record<string, any>; ms: number }> {
  const started = Date.now();
  try {
    const { stdout } = await run(python, [path.join(here, script)], {
      env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 5 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { out: JSON.parse(stdout), ms: Date.now() - started };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${script} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}
