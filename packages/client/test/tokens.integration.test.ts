import { describe, expect, it } from 'vitest';
import { failure, useServer } from './harness';

const ctx = useServer({ authCacheMs: 0 });

describe('tokens', () => {
  it('shows the secret once; lists and stores only its hash', async () => {
    const u = await ctx.user();
    const created = await u.client.tokens.create.mutate({ label: 'deploy', scopes: ['all'] });
    expect(created.secret).toMatch(new RegExp(`^v2/${created.token.uuid}/[a-z0-9]{50}$`));
    const secretPart = created.secret.split('/')[2]!;
    const { items } = await u.client.tokens.list.query({ filters: [['kind', '=', 'api']] });
    expect(items.map((t) => t.label)).toEqual(['deploy']);
    expect(JSON.stringify(items)).not.toContain(secretPart);
    const stored = await ctx.server.deps.models.Token.findOne({ uuid: created.token.uuid }).lean();
    expect(JSON.stringify(stored)).not.toContain(secretPart);
    expect((await ctx.client(created.secret).users.current.query()).uuid).toBe(u.user.uuid);
  });

  it('accepts both Bearer and OAuth2 authorization headers', async () => {
    const u = await ctx.user();
    for (const scheme of ['Bearer', 'OAuth2']) {
      const res = await fetch(`${ctx.url}/trpc/users.current`, {
        headers: { authorization: `${scheme} ${u.token}` },
      });
      expect(res.status).toBe(200);
    }
  });

  it('refuses revoked, expired, malformed and mismatched tokens with UNAUTHORIZED', async () => {
    const u = await ctx.user();
    const t = await u.client.tokens.create.mutate({
      label: 'short',
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect((await ctx.client(t.secret).users.current.query()).uuid).toBe(u.user.uuid);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await failure(ctx.client(t.secret).users.current.query())).code).toBe('UNAUTHORIZED');

    const r = await u.client.tokens.create.mutate({ label: 'to revoke' });
    await u.client.tokens.revoke.mutate({ uuid: r.token.uuid });
    expect((await failure(ctx.client(r.secret).users.current.query())).message).toMatch(
      /unknown, expired or revoked/,
    );

    const [, , secret] = u.token.split('/');
    expect(
      (await failure(ctx.client(`v2/zzzzz-gj3su-aaaaaaaaaaaaaaa/${secret}`).users.current.query())).code,
    ).toBe('UNAUTHORIZED');
    expect((await failure(ctx.client('garbage').users.current.query())).code).toBe('UNAUTHORIZED');
    expect(
      (await failure(u.client.tokens.create.mutate({ expiresAt: new Date(Date.now() - 1000).toISOString() })))
        .field,
    ).toBe('expiresAt');
  });

  it('limits a token to its scopes and never lets it mint a wider one', async () => {
    const u = await ctx.user();
    const scoped = await u.client.tokens.create.mutate({ scopes: ['trpc:users.current', 'trpc:tokens.'] });
    const c = ctx.client(scoped.secret);
    expect((await c.users.current.query()).uuid).toBe(u.user.uuid);
    expect((await failure(c.users.list.query({}))).code).toBe('FORBIDDEN');
    expect((await failure(c.tokens.create.mutate({ scopes: ['all'] }))).code).toBe('FORBIDDEN');
    const narrower = await c.tokens.create.mutate({ scopes: ['trpc:users.current'] });
    expect((await ctx.client(narrower.secret).users.current.query()).uuid).toBe(u.user.uuid);
  });

  it('hides other users’ tokens (NOT_FOUND) but lets admins revoke them', async () => {
    const a = await ctx.user();
    const b = await ctx.user();
    const admin = await ctx.user({ admin: true });
    const t = await b.client.tokens.create.mutate({ label: 'b' });
    expect((await failure(a.client.tokens.revoke.mutate({ uuid: t.token.uuid }))).code).toBe('NOT_FOUND');
    const theirs = await admin.client.tokens.list.query({ filters: [['userUuid', '=', b.user.uuid]] });
    expect(theirs.items.length).toBe(2);
    await admin.client.tokens.revoke.mutate({ uuid: t.token.uuid });
    expect((await failure(ctx.client(t.secret).users.current.query())).code).toBe('UNAUTHORIZED');
  });

  it('revokes all other sessions and tokens but the current one', async () => {
    const u = await ctx.user();
    const other = await ctx.anon.auth.login.mutate({ login: u.username, password: u.password });
    await u.client.tokens.create.mutate({});
    const { revoked } = await u.client.tokens.revokeAll.mutate({});
    expect(revoked).toBe(2);
    expect((await u.client.users.current.query()).uuid).toBe(u.user.uuid);
    expect((await failure(ctx.client(other.token).users.current.query())).code).toBe('UNAUTHORIZED');
    const mine = await u.client.tokens.list.query({});
    expect(mine.items.map((t) => t.current)).toEqual([true]);
  });

  it('ends parallel revocations consistently: each token revoked once, none left working', async () => {
    const u = await ctx.user();
    const made = await Promise.all(Array.from({ length: 10 }, () => u.client.tokens.create.mutate({})));
    const results = await Promise.allSettled(
      made.flatMap((t) => [
        u.client.tokens.revoke.mutate({ uuid: t.token.uuid }),
        u.client.tokens.revoke.mutate({ uuid: t.token.uuid }),
      ]),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(10);
    for (const t of made)
      expect((await failure(ctx.client(t.secret).users.current.query())).code).toBe('UNAUTHORIZED');
  });

  it('records the address and browser of a sign-in on its session, so its owner can tell sessions apart', async () => {
    const u = await ctx.user();
    const res = await fetch(`${ctx.url}/trpc/auth.login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0',
      },
      body: JSON.stringify({ login: u.username, password: u.password }),
    });
    expect(res.status).toBe(200);
    const sessions = await u.client.tokens.list.query({ filters: [['kind', '=', 'session']] });
    const fromBrowser = sessions.items.find((t) => t.createdByUserAgent?.includes('TestBrowser/1.0'));
    expect(fromBrowser).toMatchObject({ createdByIp: '127.0.0.1', label: 'login' });
  });
});
