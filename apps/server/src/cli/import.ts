import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { UserCreateInput } from '@roster/contracts';
import { parse } from 'csv-parse';
import type { GroupDoc, LinkDoc, UserDoc } from '../db/models';
import { AppError } from '../lib/errors';
import { uuidType } from '../lib/ids';
import { PasswordHasher } from '../lib/passwords';
import { nextIds } from '../services/counters';
import type { Actor, Deps } from '../services/deps';
import { grant } from '../services/grants';
import { createGroup } from '../services/groups';
import { relationKey, setupLinksOfUsers } from '../services/links';
import { type CreateOptions, insertUsers, type PreparedUser, prepareUser } from '../services/users';
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
type Outcome = Omit<RowOutcome, 'line' | 'type'>;
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
  /** The users services without auto set-up: the record says whether a user is set up. */
  private readonly plainDeps: Deps;
  /** Settled once the last dispatched batch of users has its ids: ids follow the file (see idsInFileOrder). */
  private lastIdBlock: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: Deps,
    /** Rows worked on at once within a batch of users (password hashes, lookups). */
    private readonly concurrency: number,
  ) {
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

  async import(record: GroupRecord | PermissionRecord): Promise<Outcome> {
    try {
      if (record.type === 'group') return await this.group(record);
      return await this.permission(record);
    } catch (err) {
      return refusal(err);
    }
  }

  /**
   * A run of user rows, written together: each row is checked, normalized and hashed as
   * createUser does it (a few at a time), then all are inserted with one block of ids and one
   * insertMany, and the invited ones set up with one bulk write. Each row gets the outcome it
   * would have had alone, in the order of `rows`.
   */
  async users(rows: readonly UserRecord[]): Promise<Outcome[]> {
    // Taken now, in file order; given back once the ids are allocated (or the batch needs none).
    const turn = this.idTurn();
    try {
      const outcomes: Outcome[] = new Array(rows.length);
      const ready: { row: number; prepared: PreparedUser }[] = [];
      await forEachBounded(rows, this.concurrency, async (r, row) => {
        const creation = userCreation(r, this.deps.config.autoSetupNewUsers);
        if ('refused' in creation) {
          outcomes[row] = { outcome: 'rejected', subject: r.username ?? r.email, reason: creation.refused };
          return;
        }
        try {
          ready.push({
            row,
            prepared: await prepareUser(this.plainDeps, null, creation.input, creation.opts),
          });
        } catch (err) {
          outcomes[row] = refusal(err);
        }
      });
      // File order: of two rows that clash, the one above wins, as one by one.
      ready.sort((a, b) => a.row - b.row);
      const inserted = await insertUsers(
        this.plainDeps,
        ready.map((x) => x.prepared),
        (count) => this.idsInFileOrder(turn, count),
      );
      const setUp: string[] = [];
      await forEachBounded(ready, this.concurrency, async ({ row }, i) => {
        const r = rows[row]!;
        const result = inserted[i]!;
        if (result instanceof AppError) {
          outcomes[row] = await this.notInserted(r, result);
          return;
        }
        if (r.uuid) this.refs.set(r.uuid, result.uuid);
        if (this.invited(r, result)) setUp.push(result.uuid);
        outcomes[row] = { outcome: 'created', subject: result.username ?? result.email ?? result.uuid };
      });
      await setupLinksOfUsers(this.deps, setUp);
      return outcomes;
    } finally {
      turn.done();
    }
  }

  /** A turn to allocate ids: `wait` for the previous batch's, then `done` lets the next one go. Taken in file order. */
  private idTurn(): { wait: Promise<void>; done: () => void } {
    const wait = this.lastIdBlock;
    let done!: () => void;
    this.lastIdBlock = new Promise<void>((resolve) => {
      done = resolve;
    });
    return { wait, done };
  }

  /** Batches are prepared and written concurrently, but take their blocks of ids in file order. */
  private async idsInFileOrder(turn: { wait: Promise<void>; done: () => void }, count: number) {
    await turn.wait;
    try {
      return await nextIds(this.deps, 'users', count);
    } finally {
      turn.done();
    }
  }

  /**
   * Set up (member of "All users"): an active user always, as createUser does, and whoever the
   * record invites (default: active, or ROSTER_AUTO_SETUP_NEW_USERS).
   */
  private invited(r: UserRecord, user: UserDoc): boolean {
    return user.isActive || (r.isInvited ?? this.deps.config.autoSetupNewUsers);
  }

  /** A row the unique indexes refused: a taken username or email is looked at; anything else is rejected. */
  private async notInserted(r: UserRecord, err: AppError): Promise<Outcome> {
    // The unique indexes decide; only then is it worth asking whether it is the same person.
    const taken = ['USERNAME_TAKEN', 'EMAIL_TAKEN'].includes(err.appCode);
    return taken ? this.existingUser(r) : refusal(err);
  }

  /** A user whose username or email is taken: the same person (skipped, e.g. a rerun) or a clash. */
  private async existingUser(r: UserRecord): Promise<Outcome> {
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

  private async group(r: GroupRecord): Promise<Outcome> {
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

  private async permission(r: PermissionRecord): Promise<Outcome> {
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

/**
 * What createUser is asked for a user row, or why the row is refused before that. An imported
 * account keeps its history: createUser stamps "now" where the record has nothing.
 */
function userCreation(
  r: UserRecord,
  autoSetup: boolean,
): { input: UserCreateInput; opts: CreateOptions } | { refused: string } {
  if (r.password && r.passwordHash) return { refused: 'give password or passwordHash, not both' };
  if (r.passwordHash && !PasswordHasher.isPhc(r.passwordHash)) {
    return { refused: 'passwordHash: must be an argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)' };
  }
  const history: NonNullable<CreateOptions['history']> = {};
  if (r.createdAt) history.createdAt = new Date(r.createdAt);
  if (r.lastLoginAt !== undefined) history.lastLoginAt = r.lastLoginAt ? new Date(r.lastLoginAt) : null;
  if (r.passwordHash) {
    for (const f of ['passwordChangedAt', 'passwordExpiresAt'] as const) {
      const v = r[f];
      if (v !== undefined) history[f] = v ? new Date(v) : null;
    }
  }
  return {
    input: {
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
    opts: { source: 'bootstrap', passwordHash: r.passwordHash, history },
  };
}

/** A rule of the services refused the row; anything else (the database went away) stops the import. */
function refusal(err: unknown): Outcome {
  if (err instanceof AppError)
    return { outcome: 'rejected', reason: err.field ? `${err.field}: ${err.message}` : err.message };
  throw err;
}

/** Runs `fn` on every item, at most `limit` at a time. */
async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
 * User rows written together (one id block, one insertMany, one bulk write of set-up links): a
 * user costs a fraction of a round trip instead of four, and the run stays small enough that a
 * failed batch costs little to redo.
 */
export const USER_BATCH = 500;

/**
 * Imports records through the services, in file order: user rows in batches of USER_BATCH,
 * groups and permission links a few at a time, within a run of records of one type (users, then
 * the groups that may be owned by them, then the links between them). Rows the services refuse
 * are reported with their line and reason; an error of the database stops the import (rerun it:
 * rows already imported are skipped).
 */
export async function importRecords(
  deps: Deps,
  entries: AsyncIterable<RawEntry>,
  opts: { concurrency?: number; progress?: Progress; batchSize?: number } = {},
): Promise<ImportReport> {
  const started = Date.now();
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const batchSize = Math.max(1, opts.batchSize ?? USER_BATCH);
  const importer = new Importer(deps, concurrency);
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
  /** User rows not yet dispatched: the batch being collected. */
  let userRows: { line: number; record: UserRecord }[] = [];

  const settle = (line: number, type: Kind | 'unreadable', r: Outcome) => {
    byType[type][r.outcome]++;
    if (r.outcome !== 'created') problems.push({ line, type, ...r });
    opts.progress?.increment();
  };
  const drain = async () => {
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  };
  /** Starts work on rows; rows that refer to one of `refs` wait for it (Importer.resolve). */
  const start = async (work: () => Promise<void>, refs: string[]) => {
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        inFlight.delete(task);
        for (const ref of refs) importer.pending.delete(ref);
      });
    inFlight.add(task);
    for (const ref of refs) importer.pending.set(ref, task);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  const flushUsers = async () => {
    if (!userRows.length) return;
    const batch = userRows;
    userRows = [];
    await start(
      async () => {
        const outcomes = await importer.users(batch.map((u) => u.record));
        for (const [i, u] of batch.entries()) settle(u.line, 'user', outcomes[i]!);
      },
      batch.flatMap((u) => (u.record.uuid ? [u.record.uuid] : [])),
    );
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
      await flushUsers();
      await drain();
      runType = record.type;
    }
    if (record.type === 'user') {
      userRows.push({ line: entry.line, record });
      if (userRows.length >= batchSize) await flushUsers();
    } else {
      await start(
        async () => settle(entry.line, record.type, await importer.import(record)),
        record.type === 'group' && record.uuid ? [record.uuid] : [],
      );
    }
    if (failure) break;
  }
  if (!failure) await flushUsers();
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
