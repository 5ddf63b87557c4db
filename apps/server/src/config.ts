import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ClusterId } from '@roster/contracts';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number, max: number) =>
  z.coerce
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a number' : undefined) })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/**
 * Express's `trust proxy`: which hops may set X-Forwarded-For, so that rate limits and the audit
 * log see the client's address and not the load balancer's. Names (loopback, linklocal,
 * uniquelocal), addresses and CIDR ranges, comma-separated; or a number of hops.
 */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** An address, or an address with a prefix length that fits its family. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): number | string[] => {
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const entries = v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const bad = entries.find((p) => !PROXY_NAMES.has(p) && !isAddressOrRange(p));
    if (bad !== undefined || !entries.length) {
      ctx.addIssue({
        code: 'custom',
        message: `${bad === undefined ? 'empty' : `"${bad}" is not`}: a hop count, or comma-separated loopback, linklocal, uniquelocal, addresses or CIDR ranges`,
      });
      return z.NEVER;
    }
    return entries;
  });

/**
 * Every setting Roster reads, from the environment. This is the only place that touches
 * `process.env`; everything else receives a parsed `Config`.
 */
const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  ROSTER_DB_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only')
    .default('roster'),
  ROSTER_DATA_DIR: z.string().min(1).default('data'),
  ROSTER_CLUSTER_ID: ClusterId.default('zzzzz'),
  ROSTER_BOOTSTRAP_ADMIN_USERNAME: z.string().optional(),
  ROSTER_BOOTSTRAP_ADMIN_PASSWORD: z.string().optional(),
  ROSTER_BOOTSTRAP_ADMIN_EMAIL: z.string().optional(),
  ROSTER_SIGNUP_ENABLED: bool.default(true),
  ROSTER_AUTO_SETUP_NEW_USERS: bool.default(true),
  ROSTER_ARGON2_MEMORY_KIB: int(1024, 4_194_304).default(19_456),
  ROSTER_ARGON2_TIME_COST: int(1, 100).default(2),
  ROSTER_ARGON2_PARALLELISM: int(1, 64).default(1),
  ROSTER_PASSWORD_MIN_LENGTH: int(8, 256).default(8),
  ROSTER_PASSWORD_MAX_LENGTH: int(8, 1024).default(256),
  ROSTER_PASSWORD_LIFETIME_DAYS: int(0, 3650).default(0),
  ROSTER_SESSION_LIFETIME_HOURS: int(1, 24 * 365).default(12),
  ROSTER_AUTH_CACHE_MS: int(0, 60_000).default(5_000),
  ROSTER_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  ROSTER_CORS_ORIGINS: z.string().default(''),
  ROSTER_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'like 100kb or 1mb')
    .default('100kb'),
  ROSTER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ROSTER_ADMIN_DIST: z.string().optional(),
  ROSTER_LOCKOUT_THRESHOLD: int(0, 1000).default(5),
  ROSTER_LOCKOUT_BASE_SECONDS: int(1, 86_400).default(30),
  ROSTER_LOCKOUT_MAX_SECONDS: int(1, 604_800).default(3_600),
  ROSTER_RATE_LIMIT_PER_MINUTE: int(0, 1_000_000).default(30),
  ROSTER_SIGNUP_CONFLICTS_PER_HOUR: int(0, 1_000_000).default(10),
  ROSTER_DB_TIMEOUT_MS: int(100, 120_000).default(3_000),
  ROSTER_REQUEST_TIMEOUT_MS: int(1_000, 600_000).default(30_000),
  ROSTER_TRUST_PROXY: trustProxy.default(['loopback']),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  mongodbUri: string | undefined;
  dbName: string;
  dataDir: string;
  clusterId: string;
  bootstrapAdmin: { username: string; password: string; email: string } | undefined;
  signupEnabled: boolean;
  autoSetupNewUsers: boolean;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  password: { minLength: number; maxLength: number; lifetimeDays: number };
  sessionLifetimeMs: number;
  authCacheMs: number;
  cookieSecure: 'auto' | boolean;
  corsOrigins: string[];
  bodyLimit: string;
  logLevel: string;
  adminDist: string | undefined;
  /** Failed logins before a temporary lockout (0: off); each lockout doubles the wait, up to the max. */
  lockout: { threshold: number; baseMs: number; maxMs: number };
  /** Requests per minute per address on login, signup, token creation and password change (0: off). */
  rateLimitPerMinute: number;
  /** "Username/email taken" answers to self-registration per address and hour (0: unlimited). */
  signupConflictsPerHour: number;
  dbTimeoutMs: number;
  requestTimeoutMs: number;
  /** Express `trust proxy`: a hop count or the trusted proxies' names, addresses and ranges. */
  trustProxy: number | string[];
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { present, origin } = gatherSettings(env);
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${origin(i.path[0])}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const admin = [
    c.ROSTER_BOOTSTRAP_ADMIN_USERNAME,
    c.ROSTER_BOOTSTRAP_ADMIN_PASSWORD,
    c.ROSTER_BOOTSTRAP_ADMIN_EMAIL,
  ];
  if (admin.some(Boolean) && !admin.every(Boolean)) {
    throw new ConfigError(
      'Invalid configuration:\n  ROSTER_BOOTSTRAP_ADMIN_USERNAME, ROSTER_BOOTSTRAP_ADMIN_PASSWORD and ROSTER_BOOTSTRAP_ADMIN_EMAIL must be set together',
    );
  }
  if (c.ROSTER_PASSWORD_MIN_LENGTH > c.ROSTER_PASSWORD_MAX_LENGTH) {
    throw new ConfigError(
      'Invalid configuration:\n  ROSTER_PASSWORD_MIN_LENGTH is larger than ROSTER_PASSWORD_MAX_LENGTH',
    );
  }
  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    mongodbUri: c.MONGODB_URI,
    dbName: c.ROSTER_DB_NAME,
    dataDir: c.ROSTER_DATA_DIR,
    clusterId: c.ROSTER_CLUSTER_ID,
    bootstrapAdmin:
      c.ROSTER_BOOTSTRAP_ADMIN_USERNAME && c.ROSTER_BOOTSTRAP_ADMIN_PASSWORD && c.ROSTER_BOOTSTRAP_ADMIN_EMAIL
        ? {
            username: c.ROSTER_BOOTSTRAP_ADMIN_USERNAME,
            password: c.ROSTER_BOOTSTRAP_ADMIN_PASSWORD,
            email: c.ROSTER_BOOTSTRAP_ADMIN_EMAIL,
          }
        : undefined,
    signupEnabled: c.ROSTER_SIGNUP_ENABLED,
    autoSetupNewUsers: c.ROSTER_AUTO_SETUP_NEW_USERS,
    argon2: {
      memoryCost: c.ROSTER_ARGON2_MEMORY_KIB,
      timeCost: c.ROSTER_ARGON2_TIME_COST,
      parallelism: c.ROSTER_ARGON2_PARALLELISM,
    },
    password: {
      minLength: c.ROSTER_PASSWORD_MIN_LENGTH,
      maxLength: c.ROSTER_PASSWORD_MAX_LENGTH,
      lifetimeDays: c.ROSTER_PASSWORD_LIFETIME_DAYS,
    },
    sessionLifetimeMs: c.ROSTER_SESSION_LIFETIME_HOURS * 3_600_000,
    authCacheMs: c.ROSTER_AUTH_CACHE_MS,
    cookieSecure: c.ROSTER_COOKIE_SECURE === 'auto' ? 'auto' : c.ROSTER_COOKIE_SECURE === 'true',
    corsOrigins: c.ROSTER_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    bodyLimit: c.ROSTER_BODY_LIMIT,
    logLevel: c.ROSTER_LOG_LEVEL,
    adminDist: c.ROSTER_ADMIN_DIST,
    lockout: {
      threshold: c.ROSTER_LOCKOUT_THRESHOLD,
      baseMs: c.ROSTER_LOCKOUT_BASE_SECONDS * 1000,
      maxMs: c.ROSTER_LOCKOUT_MAX_SECONDS * 1000,
    },
    rateLimitPerMinute: c.ROSTER_RATE_LIMIT_PER_MINUTE,
    signupConflictsPerHour: c.ROSTER_SIGNUP_CONFLICTS_PER_HOUR,
    dbTimeoutMs: c.ROSTER_DB_TIMEOUT_MS,
    requestTimeoutMs: c.ROSTER_REQUEST_TIMEOUT_MS,
    trustProxy: c.ROSTER_TRUST_PROXY,
  };
}

/**
 * A configuration for tests: defaults plus overrides, with cheap hashing, and lockout and rate
 * limits out of the way (the many logins of a test run all come from 127.0.0.1); the tests of
 * those features turn them back on.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ NODE_ENV: 'test', ROSTER_LOG_LEVEL: 'silent' }),
    argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    lockout: { threshold: 0, baseMs: 30_000, maxMs: 3_600_000 },
    rateLimitPerMinute: 0,
    signupConflictsPerHour: 0,
    ...overrides,
  };
}

/**
 * The settings from the environment over those of the optional JSON file named by
 * ROSTER_CONFIG_FILE, whose keys are the same variable names: the environment wins.
 * Empty strings mean "not set", as they do in most shells' `VAR= cmd`.
 */
function gatherSettings(env: Record<string, string | undefined>) {
  const fromEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const file = fromEnv.ROSTER_CONFIG_FILE;
  const fromFile = file ? readConfigFile(file) : {};
  const present: Record<string, string> = { ...fromFile, ...fromEnv };
  const source = (name: string): 'environment' | 'file' | 'default' =>
    name in fromEnv ? 'environment' : name in fromFile ? 'file' : 'default';
  /** For error messages: where a bad value came from, when it was the file. */
  const origin = (name: PropertyKey | undefined) =>
    typeof name === 'string' && source(name) === 'file' ? ` (in ${file})` : '';
  return { present, source, origin };
}

function readConfigFile(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration:\n  ROSTER_CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      `Invalid configuration:\n  ROSTER_CONFIG_FILE: ${file} must hold one JSON object whose keys are setting names`,
    );
  }
  const known = new Set(Object.keys(ConfigSchema.shape));
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (!known.has(name)) problems.push(`  ${name}: not a Roster setting (in ${file})`);
    else if (typeof value === 'string') values[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    // A list such as ROSTER_CORS_ORIGINS may be written as an array.
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      values[name] = value.join(',');
    else if (value !== null) problems.push(`  ${name}: must be a string, number or boolean (in ${file})`);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return values;
}

export interface SettingDescription {
  name: string;
  /** The effective value, defaults applied; undefined when unset. Secrets are not masked here. */
  value: unknown;
  source: 'environment' | 'file' | 'default';
}

/** Every setting by its variable name, with its effective value and where it came from (`roster config`). */
export function describeSettings(
  env: Record<string, string | undefined> = process.env,
): SettingDescription[] {
  loadConfig(env);
  const { present, source } = gatherSettings(env);
  const values = ConfigSchema.parse(present) as Record<string, unknown>;
  return Object.keys(ConfigSchema.shape).map((name) => ({ name, value: values[name], source: source(name) }));
}
