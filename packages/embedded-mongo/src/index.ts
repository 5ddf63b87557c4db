/**
 * Finds or starts the MongoDB that Roster runs on.
 *
 * Resolution order (see README.md and shared/DESIGN.md, "Database"):
 *   1. an explicit URI (the caller passes MONGODB_URI);
 *   2. a `mongod` binary on PATH, started on `<dataDir>/mongod`;
 *   3. mongodb-memory-server-core (optional dependency) where its binary is cached or its
 *      download host answers;
 *   4. the embedded mongo-java-server 1.47 launcher (java/RosterMongo.java), persisted with the
 *      H2 backend in `<dataDir>`, or in memory.
 *
 * This module reads no environment variable except PATH (to find `mongod`, `java`, `javac`, `mvn`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, MongoServerError } from 'mongodb';

export type DatabaseKind = 'uri' | 'mongod' | 'memory-server' | 'embedded';

export interface DatabaseHandle {
  uri: string;
  kind: DatabaseKind;
  /** Human-readable: which database was chosen and where its data lives. */
  description: string;
  /** Where the data lives on disk, when this package started the server on a directory. */
  dataDir?: string;
  /** Process id of the server this package started, if any. */
  pid?: number;
  /** Stops the server this package started (no-op for `uri`). Idempotent. */
  stop(): Promise<void>;
}

export interface ResolveOptions {
  /** MONGODB_URI, passed in by the caller. When set, nothing is started. */
  uri?: string;
  /** Data directory (ROSTER_DATA_DIR): mongod data goes to `<dataDir>/mongod`, H2 to `<dataDir>/embedded-mongo.mv.db`. */
  dataDir: string;
  /** Throw-away database: temporary dbPath for mongod / memory-server, MemoryBackend for the embedded server. */
  inMemory?: boolean;
  /** Interface to listen on for servers started here. Default 127.0.0.1. */
  host?: string;
  /** Cache for jars, compiled launcher and markers. Default `<this package>/.cache`. */
  cacheDir?: string;
  /** Progress and diagnostics, one line per call (the CLI sends them to stderr). */
  log?: (line: string) => void;
}

export interface EmbeddedMongoOptions {
  /** Directory for the H2 store. Required unless `inMemory`. */
  dataDir?: string;
  inMemory?: boolean;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  cacheDir?: string;
  log?: (line: string) => void;
  /**
   * Debug only: netty worker threads (0 = netty's default, 2 x cores). Anything but the default
   * of 1 lets concurrent updates race; used by the test that proves the self-check notices.
   */
  threads?: number;
  /** How long to wait for `LISTENING` after the JVM is spawned. Default 120 s. */
  startTimeoutMs?: number;
  /**
   * The JVM's maximum heap in MiB; default the JVM's own (a quarter of the machine's memory).
   * In memory, every document lives on that heap: 600k users with their links filled 6 GiB.
   */
  maxHeapMiB?: number;
}

export interface EmbeddedMongoHandle extends DatabaseHandle {
  pid: number;
  /** Sends a signal to the JVM (tests use SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the JVM's exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface SelfCheckResult {
  ok: boolean;
  failures: string[];
  checks: { name: string; ok: boolean; detail: string }[];
}

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const POM_FILE = path.join(PACKAGE_DIR, 'pom.xml');
const JAVA_FILE = path.join(PACKAGE_DIR, 'java', 'RosterMongo.java');
const DEFAULT_CACHE_DIR = path.join(PACKAGE_DIR, '.cache');
const MJS_VERSION = '1.47';
/** Must match RosterMongo.STORE_FILE. */
const H2_STORE_FILE = 'embedded-mongo.mv.db';
const DEFAULT_HOST = '127.0.0.1';
const MEMORY_SERVER_MARKER = 'memory-server-unavailable.json';
const MEMORY_SERVER_RETRY_MS = 24 * 60 * 60 * 1000;
const MEMORY_SERVER_PROBE_TIMEOUT_MS = 5_000;

const noop = (): void => {};

export async function resolveDatabase(opts: ResolveOptions): Promise<DatabaseHandle> {
  const log = opts.log ?? noop;
  const host = opts.host ?? DEFAULT_HOST;
  const cacheDir = path.resolve(opts.cacheDir ?? DEFAULT_CACHE_DIR);
  const dataDir = path.resolve(opts.dataDir);

  if (opts.uri) {
    return {
      uri: opts.uri,
      kind: 'uri',
      description: `MongoDB at ${redactUri(opts.uri)} (MONGODB_URI)`,
      stop: async () => {},
    };
  }

  const mongod = await findOnPath('mongod');
  if (mongod) {
    return startMongod({ binary: mongod, dataDir, inMemory: opts.inMemory ?? false, host, log });
  }

  const memoryServer = await tryMemoryServer({
    dataDir,
    inMemory: opts.inMemory ?? false,
    host,
    cacheDir,
    log,
  });
  if (memoryServer) return memoryServer;

  return startEmbeddedMongo({ dataDir, inMemory: opts.inMemory ?? false, host, cacheDir, log });
}

/** Hides the password of a connection string, for log lines and descriptions. */
function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      await fs.access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Children that must not outlive a normal exit of this process (mongod does not watch its parent). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGTERM');
    });
  }
}

async function startMongod(o: {
  binary: string;
  dataDir: string;
  inMemory: boolean;
  host: string;
  log: (line: string) => void;
}): Promise<DatabaseHandle> {
  const dbPath = o.inMemory
    ? await fs.mkdtemp(path.join(os.tmpdir(), 'roster-mongod-'))
    : path.join(o.dataDir, 'mongod');
  await fs.mkdir(dbPath, { recursive: true });
  const port = await freePort(o.host);
  o.log(`Starting ${o.binary} on ${dbPath} (port ${port})…`);
  const child = spawn(o.binary, ['--dbpath', dbPath, '--port', String(port), '--bind_ip', o.host], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const output = new LineTail(40);
  child.stdout?.on('data', (d: Buffer) => output.push(d));
  child.stderr?.on('data', (d: Buffer) => output.push(d));
  const exited = exitPromise(child);
  const uri = `mongodb://${formatHost(o.host)}:${port}/`;

  const failed = (why: string) =>
    new Error(`mongod on PATH (${o.binary}) failed to start on ${dbPath}: ${why}\n${output.text()}`);
  const deadline = Date.now() + 60_000;
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failed(`exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw failed('did not accept connections within 60 s');
    }
    ready = await canPing(uri);
    if (!ready) await sleep(250);
  }

  const stop = once(async () => {
    await terminate(child, exited);
    if (o.inMemory) await fs.rm(dbPath, { recursive: true, force: true });
  });
  return {
    uri,
    kind: 'mongod',
    description: o.inMemory
      ? `mongod from PATH (${o.binary}) on ${o.host}:${port} (temporary data in ${dbPath}, removed at stop)`
      : `mongod from PATH (${o.binary}) on ${o.host}:${port} (data in ${dbPath})`,
    dataDir: dbPath,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    stop,
  };
}

async function canPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(noop);
  }
}

interface MemoryServerMarker {
  at: string;
  reason: string;
}

/**
 * Starts a genuine mongod through mongodb-memory-server-core, or returns null to fall through to
 * the embedded server. Its download can fail in two ways: at once (DNS failure: measured here,
 * ENOTFOUND, which the library retries 3 times for about 7 s in total) or by hanging behind a
 * firewall that drops packets. So before the real download, one HEAD request to the archive URL
 * with a 5 s timeout decides; a failure is remembered in `<cacheDir>/memory-server-unavailable.json`
 * for 24 h so that later starts skip this step without waiting. A binary already in the
 * library's cache is used without any network access.
 */
async function tryMemoryServer(o: {
  dataDir: string;
  inMemory: boolean;
  host: string;
  cacheDir: string;
  log: (line: string) => void;
}): Promise<DatabaseHandle | null> {
  let mms: typeof import('mongodb-memory-server-core');
  try {
    mms = await import('mongodb-memory-server-core');
  } catch (err) {
    if (isModuleNotFound(err)) return null; // optional dependency not installed
    o.log(`mongodb-memory-server-core could not be loaded (${errorMessage(err)}); skipping it`);
    return null;
  }

  const markerFile = path.join(o.cacheDir, MEMORY_SERVER_MARKER);
  let binaryPath: string | undefined;
  try {
    const binaryOptions = await mms.DryMongoBinary.generateOptions();
    binaryPath = await mms.DryMongoBinary.locateBinary(binaryOptions);
    if (!binaryPath) {
      const marker = await readMarker(markerFile);
      if (marker) {
        o.log(`mongodb-memory-server: skipped (unavailable since ${marker.at}: ${marker.reason})`);
        return null;
      }
      const url = await memoryServerDownloadUrl(binaryOptions);
      if (url) {
        const problem = await probeUrl(url, MEMORY_SERVER_PROBE_TIMEOUT_MS);
        if (problem) {
          await writeMarker(markerFile, `download of MongoDB ${binaryOptions.version} failed: ${problem}`);
          o.log(
            `mongodb-memory-server: cannot download MongoDB ${binaryOptions.version} (${problem}); skipped for 24 h`,
          );
          return null;
        }
      }
      o.log(`mongodb-memory-server: downloading MongoDB ${binaryOptions.version} (first run only)…`);
      binaryPath = await mms.MongoBinary.getPath();
    }
  } catch (err) {
    await writeMarker(markerFile, errorMessage(err));
    o.log(`mongodb-memory-server: no MongoDB binary (${errorMessage(err)}); skipped for 24 h`);
    return null;
  }

  // From here on a genuine mongod exists: a failure to start it is an error, not a fallback,
  // since falling back would silently put the data somewhere else.
  const dbPath = o.inMemory ? undefined : path.join(o.dataDir, 'mongod');
  if (dbPath) await fs.mkdir(dbPath, { recursive: true });
  const server = await mms.MongoMemoryServer.create({
    instance: { ip: o.host, storageEngine: 'wiredTiger', ...(dbPath ? { dbPath } : {}) },
  });
  const info = server.instanceInfo;
  const stop = once(async () => {
    // doCleanup removes only a temporary directory it created itself, never a given dbPath.
    await server.stop({ doCleanup: true, force: false });
  });
  const pid = info?.instance.mongodProcess?.pid;
  const where = dbPath
    ? `data in ${dbPath}`
    : `temporary data in ${info?.dbPath ?? 'a temp dir'}, removed at stop`;
  return {
    uri: server.getUri(),
    kind: 'memory-server',
    description: `mongod ${mmsVersion(binaryPath)}via mongodb-memory-server on ${o.host}:${info?.port ?? '?'} (${where})`,
    ...(dbPath ? { dataDir: dbPath } : {}),
    ...(pid === undefined ? {} : { pid }),
    stop,
  };
}

function mmsVersion(binaryPath: string): string {
  const m = /(\d+\.\d+\.\d+)/.exec(binaryPath);
  return m ? `${m[1]} ` : '';
}

/** The library does not export its URL builder from the index; a deep import, guarded. */
async function memoryServerDownloadUrl(binaryOptions: {
  version: string;
  platform: string;
  arch: string;
  os?: unknown;
}): Promise<string | undefined> {
  try {
    const specifier = 'mongodb-memory-server-core/lib/util/MongoBinaryDownloadUrl.js';
    const mod = (await import(specifier)) as {
      MongoBinaryDownloadUrl: new (o: typeof binaryOptions) => { getDownloadUrl(): Promise<string> };
    };
    return await new mod.MongoBinaryDownloadUrl(binaryOptions).getDownloadUrl();
  } catch {
    return undefined;
  }
}

/** Returns null when the URL answers (any HTTP status below 400), else a short reason. */
function probeUrl(url: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: string | null) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(v);
      }
    };
    const req = https.request(url, { method: 'HEAD' }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      done(status < 400 ? null : `HTTP ${status}`);
    });
    const timer = setTimeout(() => {
      done(`no answer within ${timeoutMs / 1000} s`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    req.end();
  });
}

async function readMarker(file: string): Promise<MemoryServerMarker | undefined> {
  try {
    const marker = JSON.parse(await fs.readFile(file, 'utf8')) as MemoryServerMarker;
    if (Date.now() - Date.parse(marker.at) < MEMORY_SERVER_RETRY_MS) return marker;
  } catch {
    // missing or unreadable: try again
  }
  return undefined;
}

async function writeMarker(file: string, reason: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const marker: MemoryServerMarker = { at: new Date().toISOString(), reason };
  await fs.writeFile(file, `${JSON.stringify(marker, null, 2)}\n`);
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

interface CachePaths {
  root: string;
  m2: string;
  lib: string;
  classes: string;
  libStamp: string;
  classesStamp: string;
  lock: string;
}

function cachePaths(cacheDir: string | undefined): CachePaths {
  const root = path.resolve(cacheDir ?? DEFAULT_CACHE_DIR);
  return {
    root,
    m2: path.join(root, 'm2'),
    lib: path.join(root, 'lib'),
    classes: path.join(root, 'classes'),
    libStamp: path.join(root, 'lib.stamp'),
    classesStamp: path.join(root, 'classes.stamp'),
    lock: path.join(root, '.lock'),
  };
}

/** One preparation per cache dir and process; other processes are kept out by a lock dir. */
const preparing = new Map<string, Promise<CachePaths>>();

/**
 * Fetches the mongo-java-server jars (first run only) and compiles the launcher, unless the
 * cache already matches pom.xml and RosterMongo.java (hashes in `lib.stamp` / `classes.stamp`).
 */
export async function prepareEmbeddedMongo(
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<void> {
  await prepare(opts.cacheDir, opts.log ?? noop);
}

function prepare(cacheDir: string | undefined, log: (line: string) => void): Promise<CachePaths> {
  const paths = cachePaths(cacheDir);
  let p = preparing.get(paths.root);
  if (!p) {
    p = doPrepare(paths, log);
    preparing.set(paths.root, p);
    // A failure must not stick: the next call tries again.
    p.catch(() => preparing.delete(paths.root));
  }
  return p;
}

async function doPrepare(paths: CachePaths, log: (line: string) => void): Promise<CachePaths> {
  const [pom, source] = await Promise.all([fs.readFile(POM_FILE), fs.readFile(JAVA_FILE)]);
  const libHash = sha256(pom);
  const classesHash = sha256(pom, source);
  const upToDate = async () =>
    (await stampIs(paths.libStamp, libHash)) &&
    (await stampIs(paths.classesStamp, classesHash)) &&
    (await exists(path.join(paths.classes, 'RosterMongo.class')));

  if (await upToDate()) return paths;
  await fs.mkdir(paths.root, { recursive: true });
  await withLock(paths.lock, log, async () => {
    if (!(await stampIs(paths.libStamp, libHash))) {
      await fs.rm(paths.libStamp, { force: true });
      await fs.rm(paths.classesStamp, { force: true });
      await fetchJars(paths, log);
      await fs.writeFile(paths.libStamp, `${libHash}\n`);
    }
    if (!(await upToDate())) {
      await compileLauncher(paths, log);
      await fs.writeFile(paths.classesStamp, `${classesHash}\n`);
    }
  });
  return paths;
}

/** Server jars worth naming in the progress output; the rest (Maven's plugins) is only counted. */
const INTERESTING_JAR = /\/(mongo-java-server[^/]*|h2-[^/]*|netty-[^/]*|slf4j-[^/]*)\.jar$/;

async function fetchJars(paths: CachePaths, log: (line: string) => void): Promise<void> {
  log(`Fetching mongo-java-server ${MJS_VERSION} jars into ${paths.root} (first run only)…`);
  const started = Date.now();
  await fs.rm(paths.lib, { recursive: true, force: true });
  let files = 0;
  const output = new LineTail(60);
  const code = await run(
    'mvn',
    [
      '-B',
      '-Dstyle.color=never',
      '-f',
      POM_FILE,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${paths.lib}`,
      `-Dmaven.repo.local=${paths.m2}`,
    ],
    (line) => {
      output.pushLine(line);
      // "[INFO] Downloaded from <repo>: <url> (12 kB at 40 kB/s)". Log our jars by file name (without the
      // repository address) and a counter for the rest.
      const m = /^(?:\[INFO\] )?Downloaded from [^:]+: (\S+)(?: \(([^)]*?)(?: at [^)]*)?\))?/.exec(line);
      if (!m?.[1]) return;
      files++;
      if (INTERESTING_JAR.test(m[1])) {
        log(`  fetched ${path.posix.basename(m[1])}${m[2] ? ` (${m[2]})` : ''}`);
      } else if (files % 50 === 0) {
        log(`  … ${files} files fetched (Maven plugins and their dependencies)`);
      }
    },
    'Maven (mvn) is needed to fetch the embedded MongoDB server the first time',
  );
  if (code !== 0) {
    throw new Error(
      `Fetching the mongo-java-server jars failed (mvn exited with ${code}):\n${output.text()}`,
    );
  }
  log(`Fetched ${files} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function compileLauncher(paths: CachePaths, log: (line: string) => void): Promise<void> {
  log('Compiling the embedded MongoDB launcher (java/RosterMongo.java)…');
  // Compile into a fresh directory and swap it in, so a running JVM never sees half-written classes.
  const tmp = `${paths.classes}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  const output = new LineTail(60);
  const code = await run(
    'javac',
    ['-encoding', 'UTF-8', '-nowarn', '-d', tmp, '-cp', path.join(paths.lib, '*'), JAVA_FILE],
    (line) => output.pushLine(line),
    'A Java 17+ JDK (javac) is needed to build the embedded MongoDB server',
  );
  if (code !== 0) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw new Error(`Compiling ${JAVA_FILE} failed (javac exited with ${code}):\n${output.text()}`);
  }
  await fs.rm(paths.classes, { recursive: true, force: true });
  await fs.rename(tmp, paths.classes);
}

/**
 * Starts the embedded mongo-java-server (one worker thread; H2 committed after every message,
 * or in memory) and resolves once it listens. The JVM exits by itself when this process dies:
 * it watches its stdin, a pipe from us, and exits on EOF.
 */
export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongoHandle> {
  const log = opts.log ?? noop;
  const host = opts.host ?? DEFAULT_HOST;
  const inMemory = opts.inMemory ?? false;
  if (!inMemory && !opts.dataDir) throw new Error('startEmbeddedMongo: give dataDir, or inMemory: true');
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : undefined;
  const paths = await prepare(opts.cacheDir, log);

  const args = [
    // Serial GC: fewer threads and less memory for a small single-threaded server.
    '-XX:+UseSerialGC',
    ...(opts.maxHeapMiB ? [`-Xmx${Math.floor(opts.maxHeapMiB)}m`] : []),
    '-cp',
    [paths.classes, path.join(paths.lib, '*')].join(path.delimiter),
    'RosterMongo',
    '--host',
    host,
    '--port',
    String(opts.port ?? 0),
    ...(inMemory || !dataDir ? ['--memory'] : ['--data', dataDir]),
    '--threads',
    String(opts.threads ?? 1),
    '--exit-on-stdin-close',
  ];
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Nothing is ever written to the JVM's stdin: it only watches for EOF. A write error (EPIPE
  // after the JVM died) must not crash this process.
  child.stdin?.on('error', noop);
  const exited = exitPromise(child);
  const stderr = new LineTail(80);
  let listening = false;
  onLines(child.stderr, (line) => {
    stderr.pushLine(line);
    // Before LISTENING, stderr is only shown on failure; afterwards warnings are worth seeing.
    if (listening) log(`[mongo-java-server] ${line}`);
  });

  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timeoutMs = opts.startTimeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The embedded MongoDB did not start within ${timeoutMs / 1000} s:\n${stderr.text()}`));
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error('Java 17+ (java on PATH) is needed to run the embedded MongoDB; or set MONGODB_URI')
          : err,
      );
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The embedded MongoDB exited during start-up (code ${code}):\n${stderr.text()}`));
    });
    onLines(child.stdout, (line) => {
      const m = /^LISTENING (.+):(\d+)$/.exec(line);
      if (m?.[1] && m[2] && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve({ host: m[1], port: Number(m[2]) });
      }
    });
  });

  const pid = child.pid;
  if (pid === undefined) throw new Error('The embedded MongoDB has no pid');

  const storeFile = dataDir && !inMemory ? path.join(dataDir, H2_STORE_FILE) : undefined;
  const description = storeFile
    ? `embedded mongo-java-server ${MJS_VERSION} on ${address.host}:${address.port} (H2, data in ${storeFile})`
    : `embedded mongo-java-server ${MJS_VERSION} on ${address.host}:${address.port} (in memory, data is lost at stop)`;
  return {
    uri: `mongodb://${formatHost(address.host)}:${address.port}/`,
    kind: 'embedded',
    description,
    ...(dataDir && !inMemory ? { dataDir } : {}),
    pid,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
    },
    exited,
    stop: once(() => terminate(child, exited)),
  };
}

/**
 * Refuses servers that lose updates. On a scratch collection (dropped afterwards): 100
 * concurrent `$inc` on one document must give 100, 50 concurrent conditional updates must have
 * exactly one winner, 50 concurrent inserts of one key under a unique index exactly one success.
 * Also requires MongoDB 5.0 or later.
 */
export async function runSelfCheck(uri: string, opts: { dbName?: string } = {}): Promise<SelfCheckResult> {
  const checks: SelfCheckResult['checks'] = [];
  // 15 s to find the server unless the URI says otherwise (options given here would override it).
  const client = new MongoClient(
    uri,
    /[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 15_000 },
  );
  // Two scratch collections: the unique index must not see the other checks' documents, which
  // lack the key (a non-sparse unique index treats every missing key as null, so they collide).
  const scratch = `_roster_selfcheck_${process.pid}_${Date.now().toString(36)}`;
  const scratchUnique = `${scratch}_unique`;
  try {
    try {
      await client.connect();
    } catch (err) {
      checks.push({
        name: 'connect',
        ok: false,
        detail: `cannot reach MongoDB at ${redactUri(uri)}: ${errorMessage(err)}`,
      });
      return result(checks);
    }
    const db = client.db(opts.dbName);
    const coll = db.collection<{ _id: string; n?: number; claimed?: boolean }>(scratch);
    const uniqueColl = db.collection<{ _id: string; key: string }>(scratchUnique);

    await check(checks, 'server version', async () => {
      const info = await db.admin().command({ buildInfo: 1 });
      const version = String(info.version ?? '');
      const major = Number.parseInt(version, 10);
      return major >= 5
        ? { ok: true, detail: `MongoDB ${version}` }
        : {
            ok: false,
            detail: `server reports MongoDB ${version || '(unknown)'}; Roster needs 5.0 or later`,
          };
    });

    await check(checks, 'concurrent $inc', async () => {
      await coll.insertOne({ _id: 'inc', n: 0 });
      await Promise.all(
        Array.from({ length: 100 }, () => coll.updateOne({ _id: 'inc' }, { $inc: { n: 1 } })),
      );
      const n = (await coll.findOne({ _id: 'inc' }))?.n;
      return n === 100
        ? { ok: true, detail: '100 concurrent $inc gave 100' }
        : { ok: false, detail: `server lost concurrent updates: 100 $inc gave ${n} — refusing to run on it` };
    });

    await check(checks, 'conditional update race', async () => {
      await coll.insertOne({ _id: 'claim', claimed: false });
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          coll.updateOne({ _id: 'claim', claimed: false }, { $set: { claimed: true } }),
        ),
      );
      const winners = results.reduce((sum, r) => sum + r.modifiedCount, 0);
      return winners === 1
        ? { ok: true, detail: '50 concurrent conditional updates had exactly 1 winner' }
        : {
            ok: false,
            detail: `server does not serialize conditional updates: 50 concurrent claims had ${winners} winners — refusing to run on it`,
          };
    });

    await check(checks, 'unique index race', async () => {
      await uniqueColl.createIndex({ key: 1 }, { unique: true, name: 'key' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => uniqueColl.insertOne({ _id: `u${i}`, key: 'same' })),
      );
      const successes = outcomes.filter((o) => o.status === 'fulfilled').length;
      const otherErrors = outcomes.flatMap((o) =>
        o.status === 'rejected' && !(o.reason instanceof MongoServerError && o.reason.code === 11000)
          ? [errorMessage(o.reason)]
          : [],
      );
      const stored = await uniqueColl.countDocuments({ key: 'same' });
      if (successes === 1 && stored === 1 && otherErrors.length === 0) {
        return {
          ok: true,
          detail: '50 concurrent inserts of one unique key: 1 succeeded, 49 duplicate-key errors',
        };
      }
      return {
        ok: false,
        detail:
          `server does not enforce unique indexes under concurrency: 50 inserts of one key gave ${successes} successes ` +
          `and ${stored} stored documents${otherErrors.length ? ` (other errors: ${otherErrors[0]})` : ''} — refusing to run on it`,
      };
    });
    return result(checks);
  } finally {
    for (const name of [scratch, scratchUnique]) {
      await client.db(opts.dbName).collection(name).drop().catch(noop);
    }
    await client.close().catch(noop);
  }
}

async function check(
  checks: SelfCheckResult['checks'],
  name: string,
  fn: () => Promise<{ ok: boolean; detail: string }>,
): Promise<void> {
  try {
    checks.push({ name, ...(await fn()) });
  } catch (err) {
    checks.push({ name, ok: false, detail: `${name} failed: ${errorMessage(err)}` });
  }
}

function result(checks: SelfCheckResult['checks']): SelfCheckResult {
  const failures = checks.filter((c) => !c.ok).map((c) => c.detail);
  return { ok: failures.length === 0, failures, checks };
}

function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const p of parts) {
    hash.update(p);
    hash.update('\0');
  }
  return hash.digest('hex');
}

async function stampIs(file: string, hash: string): Promise<boolean> {
  try {
    return (await fs.readFile(file, 'utf8')).trim() === hash;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Cross-process lock: an atomic mkdir. A lock left by a dead process (pid check) or older than
 * 15 minutes is taken over. Needed because parallel test files, or a server and its tests,
 * can prepare the same cache at the same time.
 */
async function withLock<T>(lockDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const ownerFile = path.join(lockDir, 'owner');
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(ownerFile, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await lockIsStale(lockDir, ownerFile)) {
      await fs.rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock ${lockDir}`);
    if (!announced) {
      announced = true;
      log(`Waiting for another process to prepare ${path.dirname(lockDir)}…`);
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

async function lockIsStale(lockDir: string, ownerFile: string): Promise<boolean> {
  try {
    const stat = await fs.stat(lockDir);
    if (Date.now() - stat.mtimeMs > 15 * 60_000) return true;
    const pid = Number.parseInt(await fs.readFile(ownerFile, 'utf8'), 10);
    if (!Number.isInteger(pid)) return Date.now() - stat.mtimeMs > 5_000; // owner not written yet
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // vanished meanwhile: just retry
  }
}

/** Runs a command, feeding each stdout/stderr line to onLine; resolves with the exit code. */
function run(
  command: string,
  args: string[],
  onLine: (line: string) => void,
  missingHint: string,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`${missingHint}: '${command}' is not on PATH`) : err),
    );
    child.once('close', (code) => resolve(code));
  });
}

function onLines(stream: NodeJS.ReadableStream | null, fn: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      fn(buffered.slice(0, nl).replace(/\r$/, ''));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffered) fn(buffered);
    buffered = '';
  });
}

/** Keeps the last lines of a process's output for error messages. */
class LineTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.pushLine(p);
  }
  pushLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.length ? all.map((l) => `  | ${l}`).join('\n') : '  (no output)';
  }
}

function exitPromise(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** SIGTERM, then SIGKILL if the process is still there after 20 s. */
async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
