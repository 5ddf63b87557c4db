import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { GroupDoc, LinkDoc, UserDoc } from '../db/models';
import { AppError } from '../lib/errors';
import { uuidType } from '../lib/ids';
import { PasswordHasher } from '../lib/passwords';
import type { Actor, Deps } from '../services/deps';
import { grant } from '../services/grants';
import { createGroup } from '../services/groups';
import { relationKey, setupLinks } from '../services/links';
import { type CreateOptions, createUser } from '../services/users';
import type { TransferFormat } from './export';
import type { Progress } from './progress';
import {
  CSV_COLUMNS,
  firstIssue,
  fromCsvRow,
  fromJsonObject,
  type GroupRecord,
  type PermissionRecord,
  TransferRecord,
  type UserRecord,
} from './records';

/** One line (or CSV row) of the input: a record to import, or why it could not be read. */
export type RawEntry = { line: number; record: Record<string, unknown> } | { line: number; error: string };

export interface RowOutcome {
  line: number;
  type: string;
  outcome: 'created' | 'skipped' | 'rejected';
  /** Who the row is about, for the report: username, group name or "tail → head". */
  subject?: string;
  reason?: string;
}

type Kind = 'user' | 'group' | 'permission';
type Tally = Record<'created' | 'skipped' | 'rejected', number>;

export interface ImportReport {
  created: number;
  skipped: number;
  rejected: number;
  byType: Record<Kind | 'unreadable', Tally>;
  /** Every skipped or rejected row, in line order. */
  problems: RowOutcome[];
  durationMs: number;
}

export async function* readJsonLines(input: Readable): AsyncGenerator<RawEntry> {
  const lines = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line, error: `not valid JSON (${(err as Error).message})` };
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      yield { line, error: 'not a JSON object' };
    else yield { line, record: fromJsonObject(value as Record<string, unknown>) };
  }
}

const IMPORT_COLUMNS = new Set<string>([...CSV_COLUMNS, 'password']);

export async function* readCsv(input: Readable): AsyncGenerator<RawEntry> {
  const skipped: RawEntry[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      columns: (header: string[]) => {
        const unknown = header.filter((h) => !IMPORT_COLUMNS.has(h));
        if (unknown.length) {
          throw new Error(
            `unknown CSV column(s) ${unknown.join(', ')}; known: ${[...IMPORT_COLUMNS].join(', ')}`,
          );
        }
        return header;
      },
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
    }),
  );
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, error: `not valid CSV (${err.message})` });
  });
  for await (const row of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
    raw: string;
  }>) {
    yield* skipped.splice(0);
    // info.lines counts up to the end of the record; a quoted field may span several lines.
    const line = row.info.lines - (row.raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
    const parsed = fromCsvRow(row.record);
    yield parsed.error === undefined ? { line, record: parsed.record } : { line, error: parsed.error };
  }
  yield* skipped.splice(0);
}

/** The format a file name suggests (.csv, else JSON Lines). */
export function formatOf(file: string): TransferFormat {
  return /\.csv$/i.test(file) ? 'csv' : 'jsonl';
}

export function readTransferFile(file: string, format: TransferFormat = formatOf(file)) {
  const input = createReadStream(file);
  return format === 'csv' ? readCsv(input) : readJsonLines(input);
}

const WELL_KNOWN = /^[a-z0-9]{5}-(tpzed|j7d0g)-(000000000000000|anonymouspublic|fffffffffffffff)$/;

class Importer {
  /** Source reference (the uuid in the file) → uuid in this directory. */
  private readonly refs = new Map<string, string>();
  /** Rows still in flight, by their reference: a row that refers to one waits for it. */
  readonly pending = new Map<string, Promise<unknown>>();
  /** Keys seen earlier in the file (username, email, reference) → their line. */
  private readonly seen = new Map<string, number>();
  /** Groups that existed before this import, by name: a re-run skips them instead of duplicating. */
  private existingGroups: Promise<Map<string, string[]>> | undefined;
  private systemActor: Promise<Actor> | undefined;
  /** createUser without auto set-up: the record says whether a user is set up. */
  private readonly plainDeps: Deps;

  constructor(private readonly deps: Deps) {
    this.plainDeps = { ...deps, config: { ...deps.config, autoSetupNewUsers: false } };
  }

  private system(): Promise<Actor> {
    this.systemActor ??= this.deps.models.User.findOne({ uuid: this.deps.wellKnown.systemUser })
      .lean<UserDoc>()
      .then((user) => {
        if (!user) throw new Error('the system user is missing; start the server once to create it');
        return { user, token: null, via: 'internal' } satisfies Actor;
      });
    return this.systemActor;
  }

  /**
   * Checks that need the rows above, run in file order before the row is dispatched: a name or
   * reference used twice in one file is refused on its second line whatever the concurrency.
   */
  claim(record: TransferRecord, line: number): string | undefined {
    const keys: [string, string][] = [];
    if (record.type !== 'permission' && record.uuid) keys.push([`ref:${record.uuid}`, `uuid ${record.uuid}`]);
    if (record.type === 'user') {
      if (record.username)
        keys.push([`username:${record.username.toLowerCase()}`, `username ${record.username}`]);
      keys.push([`email:${record.email.toLowerCase()}`, `email ${record.email}`]);
    }
    for (const [key, what] of keys) {
      const first = this.seen.get(key);
      if (first !== undefined) return `${what} is already on line ${first}`;
    }
    for (const [key] of keys) this.seen.set(key, line);
    return undefined;
  }

  async import(record: TransferRecord): Promise<Omit<RowOutcome, 'line' | 'type'>> {
    try {
      if (record.type === 'user') return await this.user(record);
      if (record.type === 'group') return await this.group(record);
      return await this.permission(record);
    } catch (err) {
      // A rule of the services refused the row; anything else (the database went away) stops the import.
      if (err instanceof AppError)
        return { outcome: 'rejected', reason: err.field ? `${err.field}: ${err.message}` : err.message };
      throw err;
    }
  }

  private async user(r: UserRecord): Promise<Omit<RowOutcome, 'line' | 'type'>> {
    const subject = r.username ?? r.email;
    const reject = (reason: string) => ({ outcome: 'rejected' as const, subject, reason });
    if (r.password && r.passwordHash) return reject('give password or passwordHash, not both');
    if (r.passwordHash && !PasswordHasher.isPhc(r.passwordHash)) {
      return reject('passwordHash: must be an argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)');
    }
    const autoSetup = this.deps.config.autoSetupNewUsers;
    // createUser stamps "now"; a moved account keeps its history.
    const history: NonNullable<CreateOptions['history']> = {};
    if (r.createdAt) history.createdAt = new Date(r.createdAt);
    if (r.lastLoginAt !== undefined) history.lastLoginAt = r.lastLoginAt ? new Date(r.lastLoginAt) : null;
    if (r.passwordHash) {
      for (const f of ['passwordChangedAt', 'passwordExpiresAt'] as const) {
        const v = r[f];
        if (v !== undefined) history[f] = v ? new Date(v) : null;
      }
    }
    let user: UserDoc;
    try {
      user = await createUser(
        this.plainDeps,
        null,
        {
          username: r.username,
          email: r.email,
          password: r.password,
          firstName: r.firstName,
          lastName: r.lastName,
          identityUrl: r.identityUrl,
          isAdmin: r.isAdmin,
          isActive: r.isActive ?? autoSetup,
          prefs: r.prefs,
        },
        { source: 'bootstrap', passwordHash: r.passwordHash, history },
      );
    } catch (err) {
      // The unique indexes decide; only then is it worth asking whether it is the same person.
      const taken = err instanceof AppError && ['USERNAME_TAKEN', 'EMAIL_TAKEN'].includes(err.appCode);
      if (!taken) throw err;
      return this.existingUser(r);
    }
    if (r.uuid) this.refs.set(r.uuid, user.uuid);
    const invited = r.isInvited ?? (user.isActive || autoSetup);
    if (invited && !user.isActive) await setupLinks(this.deps, user.uuid, { readBack: false });
    return { outcome: 'created', subject: user.username ?? user.email ?? user.uuid };
  }

  /** A user whose username or email is taken: the same person (skipped, e.g. a rerun) or a clash. */
  private async existingUser(r: UserRecord): Promise<Omit<RowOutcome, 'line' | 'type'>> {
    const subject = r.username ?? r.email;
    const { User } = this.deps.models;
    const [byName, byEmail] = await Promise.all([
      r.username
        ? User.findOne({ usernameKey: r.username.toLowerCase() }, { uuid: 1 }).lean<UserDoc>()
        : null,
      User.findOne({ emailKey: r.email.toLowerCase() }, { uuid: 1 }).lean<UserDoc>(),
    ]);
    if (byEmail && (!r.username || byName?.uuid === byEmail.uuid)) {
      if (r.uuid) this.refs.set(r.uuid, byEmail.uuid);
      return { outcome: 'skipped', subject, reason: `already exists as ${byEmail.uuid}` };
    }
    return {
      outcome: 'rejected',
      subject,
      reason: byName
        ? `username: ${r.username} is taken by a user with another email`
        : `email: ${r.email} is taken by another user`,
    };
  }

  private async group(r: GroupRecord): Promise<Omit<RowOutcome, 'line' | 'type'>> {
    const subject = r.name;
    let ownerUuid: string | undefined;
    if (r.ownerUuid) {
      ownerUuid = await this.resolve(r.ownerUuid);
      if (!ownerUuid)
        return { outcome: 'rejected', subject, reason: `ownerUuid: ${this.unknownRef(r.ownerUuid)}` };
    }
    this.existingGroups ??= this.deps.models.Group.find({}, { uuid: 1, name: 1 })
      .lean<GroupDoc[]>()
      .then((groups) => {
        const byName = new Map<string, string[]>();
        for (const g of groups) byName.set(g.name, [...(byName.get(g.name) ?? []), g.uuid]);
        return byName;
      });
    const same = (await this.existingGroups).get(r.name) ?? [];
    if (same.length > 1) {
      return {
        outcome: 'rejected',
        subject,
        reason: `name: ${same.length} groups named "${r.name}" exist here already`,
      };
    }
    if (same[0]) {
      if (r.uuid) this.refs.set(r.uuid, same[0]);
      return { outcome: 'skipped', subject, reason: `already exists as ${same[0]}` };
    }
    const group = await createGroup(this.deps, await this.system(), {
      name: r.name,
      description: r.description,
      ownerUuid: ownerUuid ?? this.deps.wellKnown.systemUser,
    });
    if (r.uuid) this.refs.set(r.uuid, group.uuid);
    if (r.createdAt) {
      await this.deps.models.Group.updateOne(
        { uuid: group.uuid },
        { $set: { createdAt: new Date(r.createdAt) } },
      );
    }
    return { outcome: 'created', subject };
  }

  private async permission(r: PermissionRecord): Promise<Omit<RowOutcome, 'line' | 'type'>> {
    const subject = `${r.tailUuid} ${r.level} ${r.headUuid}`;
    const [tailUuid, headUuid] = await Promise.all([this.resolve(r.tailUuid), this.resolve(r.headUuid)]);
    if (!tailUuid)
      return { outcome: 'rejected', subject, reason: `tailUuid: ${this.unknownRef(r.tailUuid)}` };
    if (!headUuid)
      return { outcome: 'rejected', subject, reason: `headUuid: ${this.unknownRef(r.headUuid)}` };
    const key = relationKey({ linkClass: 'permission', name: r.level, tailUuid, headUuid });
    const existing = await this.deps.models.Link.findOne({ relationKey: key }, { name: 1 }).lean<LinkDoc>();
    if (existing?.name === r.level) return { outcome: 'skipped', subject, reason: 'already granted' };
    await grant(this.deps, await this.system(), { tailUuid, headUuid, level: r.level });
    return { outcome: 'created', subject };
  }

  private unknownRef(ref: string) {
    return `${ref} is neither a record above this line nor a user or group of this directory`;
  }

  /** A reference of the file, a built-in object (of any cluster id), or a user or group of this directory. */
  private async resolve(ref: string): Promise<string | undefined> {
    await this.pending.get(ref);
    const mapped = this.refs.get(ref);
    if (mapped) return mapped;
    const wk = WELL_KNOWN.exec(ref);
    if (wk) {
      const k = this.deps.wellKnown;
      const builtIn: Record<string, string> = {
        'tpzed-000000000000000': k.systemUser,
        'tpzed-anonymouspublic': k.anonymousUser,
        'j7d0g-000000000000000': k.systemGroup,
        'j7d0g-fffffffffffffff': k.allUsersGroup,
        'j7d0g-anonymouspublic': k.anonymousGroup,
      };
      const found = builtIn[`${wk[1]}-${wk[2]}`];
      if (found) return found;
    }
    const type = uuidType(ref);
    if (type === 'user' && (await this.deps.models.User.exists({ uuid: ref, redirectToUserUuid: null })))
      return ref;
    if (type === 'group' && (await this.deps.models.Group.exists({ uuid: ref }))) return ref;
    return undefined;
  }
}

/** Who a row is about, for the report, even when the row is invalid. */
function subjectOf(record: Record<string, unknown>): string | undefined {
  const name = record.username ?? record.email ?? record.name;
  if (typeof name === 'string') return name;
  if (typeof record.tailUuid === 'string' && typeof record.headUuid === 'string') {
    return `${record.tailUuid} ${String(record.level)} ${record.headUuid}`;
  }
  return undefined;
}

/**
 * Imports records through the services, in file order, a few at a time within a run of records
 * of one type (users, then the groups that may be owned by them, then the links between them).
 * Rows the services refuse are reported with their line and reason; an error of the database
 * stops the import (rerun it: rows already imported are skipped).
 */
export async function importRecords(
  deps: Deps,
  entries: AsyncIterable<RawEntry>,
  opts: { concurrency?: number; progress?: Progress } = {},
): Promise<ImportReport> {
  const started = Date.now();
  const importer = new Importer(deps);
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const tally = (): Tally => ({ created: 0, skipped: 0, rejected: 0 });
  const byType: ImportReport['byType'] = {
    user: tally(),
    group: tally(),
    permission: tally(),
    unreadable: tally(),
  };
  const problems: RowOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let runType: string | undefined;

  const settle = (line: number, type: Kind | 'unreadable', r: Omit<RowOutcome, 'line' | 'type'>) => {
    byType[type][r.outcome]++;
    if (r.outcome !== 'created') problems.push({ line, type, ...r });
    opts.progress?.increment();
  };
  const drain = async () => {
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  };

  for await (const entry of entries) {
    if ('error' in entry) {
      settle(entry.line, 'unreadable', { outcome: 'rejected', reason: entry.error });
      continue;
    }
    const parsed = TransferRecord.safeParse(entry.record);
    const subject = subjectOf(entry.record);
    if (!parsed.success) {
      const type = entry.record.type;
      settle(entry.line, type === 'user' || type === 'group' || type === 'permission' ? type : 'unreadable', {
        outcome: 'rejected',
        subject,
        reason: firstIssue(parsed.error),
      });
      continue;
    }
    const record = parsed.data;
    const duplicate = importer.claim(record, entry.line);
    if (duplicate) {
      settle(entry.line, record.type, { outcome: 'rejected', subject, reason: duplicate });
      continue;
    }
    // Rows of a new type may refer to those above: let those finish first.
    if (record.type !== runType) {
      await drain();
      runType = record.type;
    }
    const task: Promise<void> = importer
      .import(record)
      .then(
        (r) => settle(entry.line, record.type, r),
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => {
        inFlight.delete(task);
        if (record.type !== 'permission' && record.uuid) importer.pending.delete(record.uuid);
      });
    inFlight.add(task);
    if (record.type !== 'permission' && record.uuid) importer.pending.set(record.uuid, task);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) break;
  }
  await drain();
  opts.progress?.stop();

  problems.sort((a, b) => a.line - b.line);
  const sum = (k: keyof Tally) => Object.values(byType).reduce((n, t) => n + t[k], 0);
  return {
    created: sum('created'),
    skipped: sum('skipped'),
    rejected: sum('rejected'),
    byType,
    problems,
    durationMs: Date.now() - started,
  };
}
