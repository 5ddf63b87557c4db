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
for (const field of ['username', 'email', 'firstName', 'lastName', 'createdAt', 'modifiedAt', 'lastLoginAt']) {
  userSchema.index({ [field]: 1, id: 1 });
}
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
    lastUsedByIp: { type: String, default: null },
  },
  { versionKey: false, autoIndex: false },
);
tokenSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
tokenSchema.index({ secretHash: 1 }, { unique: true, name: 'secretHash' });
tokenSchema.index({ userUuid: 1, createdAt: 1 });
tokenSchema.index({ expiresAt: 1 });

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

const linkSchema = new Schema(
  {
    uuid: { type: String, required: true },
    linkClass: { type: String, required: true },
    name: { type: String, required: true },
    tailUuid: { type: String, required: true },
    headUuid: { type: String, required: true },
    ownerUuid: { type: String, required: true },
    properties: { type: Mixed, default: () => ({}) },
    /** `linkClass|name|tail|head`: one link per relation, so concurrent grants cannot duplicate it. */
    relationKey: { type: String, required: true },
    createdAt: { type: Date, required: true },
    modifiedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, autoIndex: false },
);
linkSchema.index({ uuid: 1 }, { unique: true, name: 'uuid' });
linkSchema.index({ relationKey: 1 }, { unique: true, name: 'relationKey' });
linkSchema.index({ tailUuid: 1, linkClass: 1 });
linkSchema.index({ headUuid: 1, linkClass: 1 });

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: mongoose.Types.ObjectId };
export type TokenDoc = InferSchemaType<typeof tokenSchema> & { _id: mongoose.Types.ObjectId };
export type GroupDoc = InferSchemaType<typeof groupSchema> & { _id: mongoose.Types.ObjectId };
export type LinkDoc = InferSchemaType<typeof linkSchema> & { _id: mongoose.Types.ObjectId };

export function createModels(connection: Connection) {
  return {
    User: connection.model('User', userSchema, 'users'),
    Token: connection.model('Token', tokenSchema, 'tokens'),
    Counter: connection.model('Counter', counterSchema, 'counters'),
    Group: connection.model('Group', groupSchema, 'groups'),
    Link: connection.model('Link', linkSchema, 'links'),
  };
}
export type Models = ReturnType<typeof createModels>;

/** Builds the indexes declared above (idempotent). Run once at start-up, not per request. */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) await model.createIndexes();
}
