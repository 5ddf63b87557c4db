import { randomInt } from 'node:crypto';
import { UUID_TYPES, type UuidType } from '@roster/contracts';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomBase36(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(36)];
  return out;
}

export function newUuid(clusterId: string, type: UuidType): string {
  return `${clusterId}-${UUID_TYPES[type]}-${randomBase36(15)}`;
}

export function uuidType(uuid: string): UuidType | undefined {
  const infix = uuid.slice(6, 11);
  return (Object.keys(UUID_TYPES) as UuidType[]).find((t) => UUID_TYPES[t] === infix);
}

/** Well-known objects (DESIGN.md, "Identifiers"). */
export function wellKnown(clusterId: string) {
  return {
    systemUser: `${clusterId}-tpzed-000000000000000`,
    anonymousUser: `${clusterId}-tpzed-anonymouspublic`,
    systemGroup: `${clusterId}-j7d0g-000000000000000`,
    allUsersGroup: `${clusterId}-j7d0g-fffffffffffffff`,
    anonymousGroup: `${clusterId}-j7d0g-anonymouspublic`,
  };
}
export type WellKnown = ReturnType<typeof wellKnown>;

export const newEtag = () => randomBase36(20);
