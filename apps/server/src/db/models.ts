import mongoose, { type Connection, type InferSchemaType, Schema } from 'mongoose';

const { Mixed } = Schema.Types;

/**
 * Unique indexes are named after the field they protect: the embedded server's duplicate-key
 * error carries only the index name, and errors.ts maps that name back to an API field.
 * No TTL, partial or collation indexes (DESIGN.md, "portable subset").
 */
const userSchema = new Schema(
  {
    uuid: { type: String, required: true },
    id: { type: Number, required: true },
    username: { type: String, default: null },
    /** Lowercased username, present only when there is a username: case-insensitive uniqueness. */
    usernameKey: { type: String },
    email: { type: String, default: null },
    emailKey: { type: String },
    firstName: { type: String, default: null },
    lastName: { type: String, default: null },
    identityUrl: { type: String, default: null },
    identityUrlKey: { type: String },
    isAdmin: { type: Boolean, default: false },
    isActive: { type: Boolean, default: false },
    prefs: { type: Mixed, default: () => ({}) },
    passwordHash: { type: String, default: null },
    passwordChangedAt: { type: Date, default: null },
    passwordExpiresAt: { type: Date, default: null },
    lastLoginAt: { type: Date, default: null },
    ownerUuid: { type: String, required: true },
    modifiedByUserUuid: { type: String, default: null },
    redirectToUserUuid: { type: String, default: null },
    createdAt: { type: Date, required: true },
    modifiedAt: { type: Date, required: true },
    etag: { type: String, required: true },
  },
  { versionKey: false, minimize: false, strict: true, autoIndex: false },
);
userSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
userSchema.index({ id: 1 }, { unique: true, name: 'id' });
userSchema.index({ usernameKey: 1 }, { unique: true, sparse: true, name: 'usernameKey' });
userSchema.index({ emailKey: 1 }, { unique: true, sparse: true, name: 'emailKey' });
userSchema.index({ identityUrlKey: 1 }, { unique: true, sparse: true, name: 'identityUrlKey' });
// Every filter and sort the list API allows has an index.
for (const field of [
  'username',
  'email',
  'firstName',
  'lastName',
  'createdAt',
  'modifiedAt',
  'lastLoginAt',
]) {
  userSchema.index({ [field]: 1, id: 1 });
}
// Sorting by username or email is by their lowercased keys, with the id as tiebreak.
userSchema.index({ usernameKey: 1, id: 1 });
userSchema.index({ emailKey: 1, id: 1 });
userSchema.index({ isActive: 1, id: 1 });
userSchema.index({ isAdmin: 1, id: 1 });

const tokenSchema = new Schema(
  {
    uuid: { type: String, required: true },
    userUuid: { type: String, required: true },
    /** SHA-256 of the secret, hex. The secret itself is never stored. */
    secretHash: { type: String, required: true },
    kind: { type: String, enum: ['api', 'session'], required: true },
    label: { type: String, default: '' },
    scopes: { type: [String], default: ['all'] },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
    lastUsedAt: { type: Date, default: null },
    createdByIp: { type: String, default: null },
    createdByUserAgent: { type: String, default: null },
    lastUsedByIp: { type: String, default: null },
  },
  { versionKey: false, autoIndex: false },
);
tokenSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
tokenSchema.index({ secretHash: 1 }, { unique: true, name: 'secretHash' });
tokenSchema.index({ userUuid: 1, createdAt: 1 });
tokenSchema.index({ userUuid: 1, kind: 1, createdAt: 1 });
tokenSchema.index({ userUuid: 1, lastUsedAt: 1 });
tokenSchema.index({ userUuid: 1, expiresAt: 1 });
tokenSchema.index({ userUuid: 1, label: 1 });
tokenSchema.index({ createdAt: 1, uuid: 1 });

const counterSchema = new Schema({ _id: String, seq: Number }, { versionKey: false, autoIndex: false });

const groupSchema = new Schema(
  {
    uuid: { type: String, required: true },
    id: { type: Number, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    groupClass: { type: String, default: 'role' },
    ownerUuid: { type: String, required: true },
    modifiedByUserUuid: { type: String, default: null },
    createdAt: { type: Date, required: true },
    modifiedAt: { type: Date, required: true },
    etag: { type: String, required: true },
  },
  { versionKey: false, autoIndex: false },
);
groupSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
groupSchema.index({ id: 1 }, { unique: true, name: 'id' });
groupSchema.index({ name: 1, id: 1 });
groupSchema.index({ ownerUuid: 1, id: 1 });
groupSchema.index({ createdAt: 1, id: 1 });
groupSchema.index({ modifiedAt: 1, id: 1 });

const linkSchema = new Schema(
  {
    uuid: { type: String, required: true },
    linkClass: { type: String, required: true },
    name: { type: String, required: true },
    tailUuid: { type: String, required: true },
    headUuid: { type: String, required: true },
    ownerUuid: { type: String, required: true },
    properties: { type: Mixed, default: () => ({}) },
    /** One link per relation (see services/links.ts), so concurrent grants cannot duplicate it. */
    relationKey: { type: String, required: true },
    createdAt: { type: Date, required: true },
    modifiedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, autoIndex: false },
);
linkSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
linkSchema.index({ relationKey: 1 }, { unique: true, name: 'relationKey' });
linkSchema.index({ tailUuid: 1, linkClass: 1 });
// Also serves a target's links by time: an agreement's signatures, a group's direct members.
linkSchema.index({ headUuid: 1, linkClass: 1, createdAt: 1, uuid: 1 });
linkSchema.index({ createdAt: 1, uuid: 1 });
linkSchema.index({ linkClass: 1, name: 1, createdAt: 1 });

const agreementSchema = new Schema(
  {
    uuid: { type: String, required: true },
    title: { type: String, required: true },
    text: { type: String, required: true },
    version: { type: String, required: true },
    required: { type: Boolean, default: true },
    ownerUuid: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false },
);
agreementSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });

const auditSchema = new Schema(
  {
    uuid: { type: String, required: true },
    at: { type: Date, required: true },
    actorUuid: { type: String, default: null },
    action: { type: String, required: true },
    targetUuid: { type: String, default: null },
    outcome: { type: String, enum: ['success', 'failure', 'denied'], required: true },
    errorCode: { type: String, default: null },
    changes: { type: Mixed, default: () => ({}) },
    requestId: { type: String, default: null },
    ip: { type: String, default: null },
  },
  { versionKey: false, minimize: false, autoIndex: false },
);
auditSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
auditSchema.index({ at: 1, uuid: 1 });
auditSchema.index({ targetUuid: 1, at: 1 });
auditSchema.index({ actorUuid: 1, at: 1 });
auditSchema.index({ action: 1, at: 1 });
auditSchema.index({ outcome: 1, at: 1 });

/**
 * Multi-document operations (merge, unsetup, group deletion): written before their steps run,
 * marked done after, and finished at start-up if a crash interrupted them (DESIGN.md).
 */
const operationSchema = new Schema(
  {
    uuid: { type: String, required: true },
    kind: { type: String, required: true },
    params: { type: Mixed, required: true },
    state: { type: String, enum: ['pending', 'done'], required: true },
    createdAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false, autoIndex: false },
);
operationSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
operationSchema.index({ state: 1, createdAt: 1 });

/** Login attempts per account (or per unknown login name): `_id` is `u:<uuid>` or `l:<login>`. */
const lockoutSchema = new Schema(
  {
    _id: String,
    attempts: { type: Number, default: 0 },
    level: { type: Number, default: 0 },
    lockedUntil: { type: Date, default: null },
    lastFailureAt: { type: Date, default: null },
  },
  { versionKey: false, autoIndex: false },
);
lockoutSchema.index({ lastFailureAt: 1 });

/** Fixed-window request counters per address and route: `_id` is `<key>|<window start>`. */
const rateCounterSchema = new Schema(
  { _id: String, hits: { type: Number, default: 0 }, resetAt: { type: Date, required: true } },
  { versionKey: false, autoIndex: false },
);
rateCounterSchema.index({ resetAt: 1 });

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: mongoose.Types.ObjectId };
export type TokenDoc = InferSchemaType<typeof tokenSchema> & { _id: mongoose.Types.ObjectId };
export type GroupDoc = InferSchemaType<typeof groupSchema> & { _id: mongoose.Types.ObjectId };
export type LinkDoc = InferSchemaType<typeof linkSchema> & { _id: mongoose.Types.ObjectId };
export type AgreementDoc = InferSchemaType<typeof agreementSchema> & { _id: mongoose.Types.ObjectId };
export type AuditDoc = InferSchemaType<typeof auditSchema> & { _id: mongoose.Types.ObjectId };
export type OperationDoc = InferSchemaType<typeof operationSchema> & { _id: mongoose.Types.ObjectId };

export function createModels(connection: Connection) {
  return {
    User: connection.model('User', userSchema, 'users'),
    Token: connection.model('Token', tokenSchema, 'tokens'),
    Counter: connection.model('Counter', counterSchema, 'counters'),
    Group: connection.model('Group', groupSchema, 'groups'),
    Link: connection.model('Link', linkSchema, 'links'),
    Agreement: connection.model('Agreement', agreementSchema, 'agreements'),
    AuditEvent: connection.model('AuditEvent', auditSchema, 'audit_events'),
    Operation: connection.model('Operation', operationSchema, 'operations'),
    Lockout: connection.model('Lockout', lockoutSchema, 'lockouts'),
    RateCounter: connection.model('RateCounter', rateCounterSchema, 'rate_counters'),
  };
}
export type Models = ReturnType<typeof createModels>;

/** Builds the indexes declared above (idempotent). Run once at start-up, not per request. */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) await model.createIndexes();
}
