import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, clusterId: 'zzzzz', signupEnabled: true, autoSetupNewUsers: true });
    expect(c.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(c.password).toMatchObject({ minLength: 8, maxLength: 256 });
  });

  it('names every wrong setting and why', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', ROSTER_CLUSTER_ID: 'TOO-LONG', ROSTER_SIGNUP_ENABLED: 'maybe' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT: must be a number/);
    expect(attempt).toThrow(/ROSTER_CLUSTER_ID: must be 5 lowercase letters or digits/);
    expect(attempt).toThrow(/ROSTER_SIGNUP_ENABLED: must be true or false/);
  });

  it('wants the three bootstrap admin settings together', () => {
    expect(() => loadConfig({ ROSTER_BOOTSTRAP_ADMIN_USERNAME: 'admin' })).toThrow(/must be set together/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '' })).toMatchObject({ port: 3000, mongodbUri: undefined });
  });
});
