import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveConfig, formatConfig } from '../../src/cli/show-config';
import { ConfigError, loadConfig } from '../../src/config';
import { runCliProcess, runTs } from './run-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'roster-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, content: unknown) {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('settings', () => {
  it.each([
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ PORT: 'http' }, 'PORT: must be a number'],
    [{ PORT: '80.5' }, 'PORT: must be a whole number'],
    [{ ROSTER_TRUST_PROXY: 'everyone' }, 'ROSTER_TRUST_PROXY: "everyone" is not: a hop count'],
    [{ ROSTER_TRUST_PROXY: '1.2.3' }, 'ROSTER_TRUST_PROXY: "1.2.3" is not'],
    [{ ROSTER_TRUST_PROXY: '10.0.0.0/33' }, 'ROSTER_TRUST_PROXY: "10.0.0.0/33" is not'],
  ])('refuses %o with a message saying what is wrong', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the trusted proxies as a hop count or a list', () => {
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ ROSTER_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ROSTER_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
  });
});

describe('configuration file', () => {
  it('provides settings under their variable names; the environment wins', () => {
    const file = configFile('ok.json', {
      PORT: 4100,
      HOST: '0.0.0.0',
      ROSTER_SIGNUP_ENABLED: false,
      ROSTER_CORS_ORIGINS: ['https://a.example', 'https://b.example'],
      ROSTER_ADMIN_DIST: null,
    });
    const config = loadConfig({ ROSTER_CONFIG_FILE: file, HOST: '10.1.2.3' });
    expect(config).toMatchObject({
      port: 4100,
      host: '10.1.2.3',
      signupEnabled: false,
      corsOrigins: ['https://a.example', 'https://b.example'],
      adminDist: undefined,
    });
  });

  it.each([
    [
      'a bad value',
      { ROSTER_LOCKOUT_THRESHOLD: 'lots' },
      'ROSTER_LOCKOUT_THRESHOLD: must be a number (in <file>)',
    ],
    [
      'a value of the wrong kind',
      { ROSTER_LOG_LEVEL: { level: 'info' } },
      'ROSTER_LOG_LEVEL: must be a string',
    ],
    [
      'a misspelt setting',
      { ROSTER_LOCKOUT_TRESHOLD: 3 },
      'ROSTER_LOCKOUT_TRESHOLD: not a Roster setting (in <file>)',
    ],
    ['not an object', [1, 2], 'ROSTER_CONFIG_FILE: <file> must hold one JSON object'],
    ['not JSON', '{"PORT": 3000,', 'ROSTER_CONFIG_FILE: cannot read <file>'],
  ])('refuses %s with a message naming the setting', (_what, content, message) => {
    const file = configFile(`bad-${Math.random().toString(36).slice(2)}.json`, content);
    expect(() => loadConfig({ ROSTER_CONFIG_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ ROSTER_CONFIG_FILE: file })).toThrow(message.replace('<file>', file));
  });

  it('names a missing file', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => loadConfig({ ROSTER_CONFIG_FILE: file })).toThrow(
      `ROSTER_CONFIG_FILE: cannot read ${file}: ENOENT`,
    );
  });

  it('shows the effective configuration with its sources, secrets masked', () => {
    const file = configFile('show.json', { ROSTER_BOOTSTRAP_ADMIN_PASSWORD: 'hunter22hunter22', PORT: 4200 });
    const settings = effectiveConfig({
      ROSTER_CONFIG_FILE: file,
      MONGODB_URI: 'mongodb://roster:s3cret@db1.internal:27017,db2.internal:27017/?replicaSet=rs0',
      ROSTER_BOOTSTRAP_ADMIN_USERNAME: 'boss',
      ROSTER_BOOTSTRAP_ADMIN_EMAIL: 'boss@example.org',
    });
    const byName = Object.fromEntries(settings.map((s) => [s.name, s]));
    expect(byName.PORT).toEqual({ name: 'PORT', value: 4200, source: 'file' });
    expect(byName.ROSTER_BOOTSTRAP_ADMIN_PASSWORD).toMatchObject({ value: '********', source: 'file' });
    expect(byName.MONGODB_URI).toMatchObject({
      value: 'mongodb://***@db1.internal:27017,db2.internal:27017/?replicaSet=rs0',
      source: 'environment',
    });
    expect(byName.ROSTER_PASSWORD_MIN_LENGTH).toEqual({
      name: 'ROSTER_PASSWORD_MIN_LENGTH',
      value: 8,
      source: 'default',
    });
    const text = formatConfig(settings);
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('s3cret');
    expect(text).toMatch(/^ROSTER_BOOTSTRAP_ADMIN_USERNAME +boss {2}\(environment\)$/m);
  });

  it('stops the CLI and the server at start-up with a message naming the bad setting', async () => {
    const file = configFile('proc.json', { ROSTER_LOCKOUT_MAX_SECONDS: 'forever' });
    const env = { ROSTER_CONFIG_FILE: file };
    const expected = `ROSTER_LOCKOUT_MAX_SECONDS: must be a number (in ${file})`;
    const [cli, server] = await Promise.all([
      runCliProcess(['config'], { env }),
      runTs('src/main.ts', [], { env }),
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(expected);
    expect(server.code).toBe(1);
    expect(server.stderr).toContain(expected);
  });
});
