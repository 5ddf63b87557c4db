import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, prepareEmbeddedMongo, resolveDatabase, runSelfCheck } from './index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = path.join(packageDir, '.cache');
let tmp: string;
const handles: DatabaseHandle[] = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'roster-embedded-resolve-'));
  await prepareEmbeddedMongo();
});

afterAll(async () => {
  for (const h of handles) await h.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('resolveDatabase without a uri', () => {
  it('falls through to a working server and says which one and where the data lives', async () => {
    const dataDir = path.join(tmp, 'data');
    const lines: string[] = [];
    const handle = await resolveDatabase({ dataDir, log: (l) => lines.push(l) });
    handles.push(handle);
    // This machine has no mongod and cannot download one; elsewhere the genuine server wins.
    expect(['mongod', 'memory-server', 'embedded']).toContain(handle.kind);
    if (handle.kind === 'embedded') {
      expect(handle.description).toMatch(
        /^embedded mongo-java-server 1\.47 on 127\.0\.0\.1:\d+ \(H2, data in /,
      );
      expect(handle.description).toContain(path.join(dataDir, 'embedded-mongo.mv.db'));
      expect(handle.dataDir).toBe(dataDir);
    }
    expect((await runSelfCheck(handle.uri, { dbName: 'resolve' })).ok).toBe(true);
    await handle.stop();
  });

  it('remembers an unreachable mongodb-memory-server download for 24 h, so the next start skips it', async () => {
    const marker = path.join(cacheDir, 'memory-server-unavailable.json');
    const present = await fs.readFile(marker, 'utf8').then(
      (text) => JSON.parse(text) as { at: string; reason: string },
      () => undefined,
    );
    if (!present) return; // the download works here (or the package is absent): nothing to remember
    expect(Date.now() - Date.parse(present.at)).toBeLessThan(24 * 3600 * 1000);
    expect(present.reason).toMatch(/\S/);
    const lines: string[] = [];
    const started = Date.now();
    const handle = await resolveDatabase({
      dataDir: path.join(tmp, 'mem'),
      inMemory: true,
      log: (l) => lines.push(l),
    });
    handles.push(handle);
    expect(handle.kind).toBe('embedded');
    expect(handle.description).toContain('in memory');
    expect(lines.some((l) => l.startsWith('mongodb-memory-server: skipped'))).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
    await handle.stop();
  });

  it('starts a mongod found on PATH on <dataDir>/mongod', async () => {
    // A stand-in mongod: a script that maps mongod's flags onto the embedded launcher.
    const bin = path.join(tmp, 'bin');
    await fs.mkdir(bin);
    const classpath = [path.join(cacheDir, 'classes'), path.join(cacheDir, 'lib', '*')].join(path.delimiter);
    await fs.writeFile(
      path.join(bin, 'mongod'),
      `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    --dbpath) dbpath="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --bind_ip) host="$2"; shift 2 ;;
    *) shift ;;
  esac
done
exec java -cp '${classpath}' RosterMongo --data "$dbpath" --port "$port" --host "$host"
`,
      { mode: 0o755 },
    );
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
    try {
      const dataDir = path.join(tmp, 'mongod-data');
      const handle = await resolveDatabase({ dataDir });
      handles.push(handle);
      expect(handle.kind).toBe('mongod');
      expect(handle.dataDir).toBe(path.join(dataDir, 'mongod'));
      expect(handle.description).toBe(
        `mongod from PATH (${path.join(bin, 'mongod')}) on 127.0.0.1:${new URL(handle.uri).port} (data in ${path.join(dataDir, 'mongod')})`,
      );
      const client = await MongoClient.connect(handle.uri);
      await client.db('m').collection('c').insertOne({ a: 1 });
      await client.close();
      await expect(fs.stat(path.join(dataDir, 'mongod', 'embedded-mongo.mv.db'))).resolves.toBeTruthy();
      const pid = handle.pid;
      expect(pid).toBeTypeOf('number');
      await handle.stop();
      expect(alive(pid as number)).toBe(false);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('the embedded JVM', () => {
  it('exits when the Node process that started it is killed with SIGKILL', async () => {
    // Run the real startEmbeddedMongo in a separate Node process: transpile index.ts next to
    // src/ (test-output/ is one level below the package, like dist/, so it finds pom.xml).
    const outDir = path.join(packageDir, 'test-output');
    await fs.mkdir(outDir, { recursive: true });
    const source = await fs.readFile(path.join(packageDir, 'src', 'index.ts'), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    await fs.writeFile(path.join(outDir, 'index.mjs'), js);
    await fs.writeFile(
      path.join(outDir, 'parent.mjs'),
      `import { startEmbeddedMongo } from './index.mjs';
const h = await startEmbeddedMongo({ inMemory: true });
console.log(JSON.stringify({ pid: h.pid, uri: h.uri }));
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, [path.join(outDir, 'parent.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = await new Promise<{ pid: number; uri: string }>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { pid: number; uri: string });
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    expect(alive(info.pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !alive(info.pid), 15_000)).toBe(true);
  });
});
