import { describeSettings, type SettingDescription } from '../config';
import { redactUri } from '../db/connect';

const SECRET_NAME = /_(PASSWORD|SECRET|TOKEN|KEY)$/;

/** A setting's value as `roster config` shows it: secrets hidden, credentials cut out of URIs. */
export function maskSetting(name: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value;
  if (SECRET_NAME.test(name)) return '********';
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return redactUri(value);
  return value;
}

/** The effective configuration, masked, one setting per line: `NAME=value  (source)`. */
export function effectiveConfig(env?: Record<string, string | undefined>): SettingDescription[] {
  return describeSettings(env).map((s) => ({ ...s, value: maskSetting(s.name, s.value) }));
}

export function formatConfig(settings: SettingDescription[]): string {
  const width = Math.max(...settings.map((s) => s.name.length));
  return settings
    .map((s) => {
      const value =
        s.value === undefined
          ? '(unset)'
          : s.value === ''
            ? '(empty)'
            : typeof s.value === 'string'
              ? s.value
              : JSON.stringify(s.value);
      return `${s.name.padEnd(width)}  ${value}${s.source === 'default' ? '' : `  (${s.source})`}`;
    })
    .join('\n');
}
