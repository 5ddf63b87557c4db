import net from 'node:net';
import { BSON, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedMongoHandle, runSelfCheck, startEmbeddedMongo } from './index.js';

// runSelfCheck must refuse a server that loses updates. The embedded server with several worker
// threads (--threads) was tried first, but on this 2-core machine it never raced (0 lost
// updates in 15 rounds of 100 $inc / 50 claims, with 32 pre-opened connections), so it cannot
// serve as a reliable bad server. Instead a wire-protocol proxy in front of the good server
// acknowledges every $inc but turns every second one into $inc by 0: to the client this looks
// exactly like a server that loses concurrent updates (what FerretDB 1.x did).

let server: EmbeddedMongoHandle;
let proxy: net.Server;
let proxyUri: string;

const OP_MSG = 2013;

/** Rewrites the `updates` of an OP_MSG `update` command; other messages pass through untouched. */
function rewriteMessage(msg: Buffer, rewrite: (update: Document) => void): Buffer {
  if (msg.readInt32LE(12) !== OP_MSG) return msg;
  const flags = msg.readUInt32LE(16);
  if (flags & 1) return msg; // checksummed: leave alone (the driver does not send these)
  const out: Buffer[] = [msg.subarray(0, 20)];
  let body: Document | undefined;
  let pos = 20;
  while (pos < msg.length) {
    const kind = msg.readUInt8(pos);
    if (kind === 0) {
      const size = msg.readInt32LE(pos + 1);
      body = BSON.deserialize(msg.subarray(pos + 1, pos + 1 + size), { promoteValues: false });
      if ('update' in body && Array.isArray(body.updates)) body.updates.forEach(rewrite);
      out.push(Buffer.from([0]), Buffer.from(BSON.serialize(body)));
      pos += 1 + size;
    } else {
      const size = msg.readInt32LE(pos + 1);
      const end = pos + 1 + size;
      const idEnd = msg.indexOf(0, pos + 5);
      const identifier = msg.toString('utf8', pos + 5, idEnd);
      const docs: Buffer[] = [];
      for (let p = idEnd + 1; p < end; ) {
        const len = msg.readInt32LE(p);
        const doc = BSON.deserialize(msg.subarray(p, p + len), { promoteValues: false });
        if (identifier === 'updates' && body && 'update' in body) rewrite(doc);
        docs.push(Buffer.from(BSON.serialize(doc)));
        p += len;
      }
      const payload = Buffer.concat([Buffer.from(`${identifier}\0`), ...docs]);
      const header = Buffer.alloc(5);
      header.writeUInt8(1, 0);
      header.writeInt32LE(4 + payload.length, 1);
      out.push(header, payload);
      pos = end;
    }
  }
  const result = Buffer.concat(out);
  result.writeInt32LE(result.length, 0);
  return result;
}

function startLossyProxy(target: { host: string; port: number }): Promise<net.Server> {
  let incs = 0;
  const loseEverySecondInc = (update: Document) => {
    const inc = (update.u as Document | undefined)?.$inc as Document | undefined;
    if (inc && incs++ % 2 === 1) {
      for (const key of Object.keys(inc)) inc[key] = new BSON.Int32(0);
    }
  };
  const srv = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const len = pending.readInt32LE(0);
        upstream.write(rewriteMessage(pending.subarray(0, len), loseEverySecondInc));
        pending = pending.subarray(len);
      }
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

beforeAll(async () => {
  server = await startEmbeddedMongo({ inMemory: true });
  const port = Number(new URL(server.uri).port);
  proxy = await startLossyProxy({ host: '127.0.0.1', port });
  const address = proxy.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  proxyUri = `mongodb://127.0.0.1:${address.port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.stop();
});

describe('runSelfCheck on a server that loses updates', () => {
  it('passes on the embedded server itself', async () => {
    expect((await runSelfCheck(server.uri, { dbName: 'selfcheck_good' })).ok).toBe(true);
  });

  it('refuses the lossy server with a clear message', async () => {
    const result = await runSelfCheck(proxyUri, { dbName: 'selfcheck_lossy' });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      'server lost concurrent updates: 100 $inc gave 50 — refusing to run on it',
    ]);
    expect(result.checks.find((c) => c.name === 'concurrent $inc')?.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'conditional update race')?.ok).toBe(true);
  });

  it('reports an unreachable server as a failure instead of throwing', async () => {
    const result = await runSelfCheck('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500');
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatch(/^cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\//);
  });
});
