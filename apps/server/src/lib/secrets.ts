import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, written in base 36 (about 50 characters, like Arvados's secrets). */
export function newTokenSecret(): string {
  return BigInt(`0x${randomBytes(32).toString('hex')}`)
    .toString(36)
    .padStart(50, '0');
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface PresentedToken {
  uuid: string | undefined;
  secret: string;
}

/** `v2/<uuid>/<secret>[/<container>]`, or a bare v1 secret. */
export function parseToken(raw: string): PresentedToken | undefined {
  if (raw.length > 512) return undefined;
  if (raw.startsWith('v2/')) {
    const [, uuid, secret] = raw.split('/');
    if (!uuid || !secret) return undefined;
    return { uuid, secret };
  }
  return /^[a-z0-9]{20,}$/i.test(raw) ? { uuid: undefined, secret: raw } : undefined;
}

export const formatToken = (uuid: string, secret: string) => `v2/${uuid}/${secret}`;
