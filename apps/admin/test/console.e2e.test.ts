import { createRosterClient, type RosterClient } from '@roster/client';
import { issueToken, makeUser, startTestServer, type TestServer } from '@roster/server/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminDist, launchChromium, seedDirectory } from '../scripts/harness';
import { pageTracker, screenshot, seeText, signIn } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

const DIRECTORY_SIZE = 500;

let server: TestServer;
let browser: Browser;
let admin: Awaited<ReturnType<typeof makeUser>>;
let adminApi: RosterClient;
const pages = pageTracker(() => browser);
const newPage = () => pages.newPage();

const summary = (page: Page) => page.getByTestId('pager-summary').first().textContent();
/** The usernames in the table, once it has the rows it asked for. */
async function rowNames(page: Page) {
  await page.locator('[data-testid=users-table][aria-busy=false]').waitFor();
  return page
    .locator('[data-testid=users-table] tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')));
}
const userByName = async (username: string) =>
  (await adminApi.users.list.query({ filters: [['username', '=', username]], limit: 1 })).items[0];

beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri'), config: { adminDist, signupEnabled: true } });
  admin = await makeUser(server.deps, { admin: true, username: 'chiefadmin' });
  adminApi = createRosterClient({ url: server.url, token: admin.token });
  const [b] = await Promise.all([launchChromium(), seedDirectory(adminApi, DIRECTORY_SIZE)]);
  browser = b;
}, 180_000);

afterEach(async ({ task }) => {
  expect(await pages.settle(task)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('signed out', () => {
  it('signs up from the front page, signs in, and signs out from the user menu', async () => {
    const page = await newPage();
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login');

    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Username', { exact: true }).fill('newcomer');
    await page.getByLabel('Email').fill('newcomer@example.net');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await screenshot(page, 'signup');
    await page.getByRole('button', { name: 'Register' }).click();
    await seeText(page, 'Account newcomer created');

    // Back on the sign-in form, with the new username filled in.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Username or email').inputValue()).toBe('newcomer');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const menu = page.getByTestId('user-menu');
    await menu.waitFor();
    expect(await menu.textContent()).toBe('newcomer');
    // A user who is not an administrator lands on their account and sees no Users section.
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await screenshot(page, 'account');

    // The session is an HttpOnly cookie; nothing about it is in the page's storage.
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'roster_session')?.httpOnly).toBe(true);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);

    await menu.click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'roster_session')).toBe(false);
    // And a reload stays signed out.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('shows the field errors of bad input, from the form and from the server', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Username', { exact: true }).fill('1abc');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Register' }).click();
    await seeText(page, 'must start with a letter and contain only letters and digits');
    await seeText(page, 'must be a valid email address');
    await seeText(page, 'must be at least 8 characters');
    expect(await page.getByLabel('Username', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'signup-errors');

    // Valid to the form, refused by the server: the answer lands on the field it concerns.
    await page.getByLabel('Username', { exact: true }).fill('ChiefAdmin');
    await page.getByLabel('Email').fill('someone.else@example.net');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Register' }).click();
    await seeText(page, 'username is already taken');
    expect(await page.getByLabel('Username', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.goto(server.url);
    await page.getByLabel('Username or email').fill('chiefadmin');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await seeText(page, 'Invalid username or password');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
  });

  it('creates the first administrator from the setup link, which works once', async () => {
    const { secret } = await issueToken(server.deps, server.deps.wellKnown.systemUser, {
      kind: 'api',
      label: 'first-admin setup',
      scopes: ['trpc:auth.claimFirstAdmin'],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const page = await newPage();
    await page.goto(`${server.url}/setup#token=${secret}`);
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
    // The token leaves the address bar (and so the history) as soon as it is read.
    await expect.poll(() => page.url()).toBe(`${server.url}/setup`);
    await page.getByLabel('Username', { exact: true }).fill('firstadmin');
    await page.getByLabel('Email').fill('first.admin@example.net');
    await page.getByLabel('Password', { exact: true }).fill('first admin password');
    await screenshot(page, 'setup');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await seeText(page, 'Administrator firstadmin created');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Username or email').inputValue()).toBe('firstadmin');
    await page.getByLabel('Password', { exact: true }).fill('first admin password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(page.url()).toBe(`${server.url}/users`);

    const again = await newPage();
    await again.goto(`${server.url}/setup#token=${secret}`);
    await again.getByLabel('Username', { exact: true }).fill('secondadmin');
    await again.getByLabel('Email').fill('second.admin@example.net');
    await again.getByLabel('Password', { exact: true }).fill('second admin password');
    await again.getByRole('button', { name: 'Create administrator' }).click();
    await seeText(again, /unknown, expired or revoked|already used/);
    expect(await userByName('secondadmin')).toBeUndefined();
  });
});

describe('an administrator', () => {
  it(`creates a user, finds them among ${DIRECTORY_SIZE}, sorts, pages, edits, deactivates and deletes them`, async () => {
    const page = await newPage();
    await signIn(page, server.url, admin.username, admin.password);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await expect.poll(() => summary(page)).toMatch(/^1–50 of \d+ users$/);
    const total = Number((await summary(page))!.match(/of (\d+)/)![1]);
    expect(total).toBeGreaterThanOrEqual(DIRECTORY_SIZE + 1);
    await screenshot(page, 'users');

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Username', { exact: true }).fill('zeldaquist');
    await dialog.getByLabel('Email').fill('zelda.quist@example.org');
    await dialog.getByLabel('First name').fill('Zelda');
    await dialog.getByLabel('Last name').fill('Quist');
    await dialog.getByLabel('Password', { exact: true }).fill('zelda password 1');
    // New users are active and not administrators unless switched.
    expect(await dialog.getByRole('switch', { name: 'Active' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('switch', { name: 'Administrator' }).isChecked()).toBe(false);
    await screenshot(page, 'create-user');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await seeText(page, 'User zeldaquist created');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => summary(page)).toBe(`1–50 of ${total + 1} users`);

    // Search by username prefix, whatever the case; the address keeps the search.
    await page.getByRole('searchbox', { name: 'Search' }).fill('ZeldaQ');
    await expect.poll(() => page.url()).toContain('q=ZeldaQ');
    await expect.poll(() => rowNames(page)).toEqual(['zeldaquist']);
    expect(await summary(page)).toBe('1–1 of 1 users');
    // By email prefix.
    await page.getByLabel('Search in').selectOption('email');
    await page.getByRole('searchbox', { name: 'Search' }).fill('zelda.quist@');
    await expect.poll(() => page.url()).toContain('in=email');
    await expect.poll(() => rowNames(page)).toEqual(['zeldaquist']);
    // Nobody was created before today.
    const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('en-CA');
    await page.goto(`${server.url}/users?to=${yesterday}`);
    await seeText(page, 'No user matches');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => summary(page)).toBe(`1–50 of ${total + 1} users`);

    // Sorting: usernames descending puts zeldaquist first.
    await page.getByRole('button', { name: /^Username/ }).click();
    await expect.poll(() => page.url()).toContain('dir=desc');
    await expect.poll(async () => (await rowNames(page))[0]).toBe('zeldaquist');
    const descending = await rowNames(page);
    expect([...descending].sort((a, b) => b!.toLowerCase().localeCompare(a!.toLowerCase()))).toEqual(
      descending,
    );
    expect(await page.getByRole('columnheader', { name: /Username/ }).getAttribute('aria-sort')).toBe(
      'descending',
    );

    // Paging: page 2 holds the next 50, and survives a reload.
    await page.getByRole('button', { name: 'Page 2' }).click();
    await expect.poll(() => summary(page)).toBe(`51–100 of ${total + 1} users`);
    const page2 = await rowNames(page);
    expect(page2).toHaveLength(50);
    expect(page2.filter((n) => descending.includes(n))).toEqual([]);
    expect(page2[0]!.toLowerCase() <= descending[49]!.toLowerCase()).toBe(true);
    await page.reload();
    await expect.poll(() => rowNames(page)).toEqual(page2);
    expect(page.url()).toContain('page=2');
    await page.goBack();
    await expect.poll(() => rowNames(page)).toEqual(descending);

    // Open, edit, deactivate.
    await page.getByRole('link', { name: 'zeldaquist' }).click();
    await page.getByRole('heading', { name: 'zeldaquist' }).waitFor();
    await page.getByLabel('First name').fill('Zelda Maria');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await seeText(page, 'zeldaquist was saved');
    await expect.poll(async () => (await userByName('zeldaquist'))?.firstName).toBe('Zelda Maria');
    await screenshot(page, 'user');

    await page.getByRole('switch', { name: 'Active' }).click();
    const confirm = page.getByRole('dialog', { name: 'Deactivate zeldaquist?' });
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await seeText(page, 'zeldaquist was deactivated');
    await page.getByTestId('user-status').getByText('inactive').waitFor();
    await expect.poll(async () => (await userByName('zeldaquist'))?.isActive).toBe(false);

    // Back to the list, where they show among the inactive users; then delete them.
    await page.getByRole('link', { name: '← Users' }).click();
    await page.getByLabel('Status').selectOption('no');
    await expect.poll(() => page.url()).toContain('active=no');
    await expect.poll(() => rowNames(page)).toEqual(['zeldaquist']);
    await page.getByRole('link', { name: 'zeldaquist' }).click();
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page
      .getByRole('dialog', { name: 'Delete zeldaquist?' })
      .getByRole('button', { name: 'Delete user' })
      .click();
    await seeText(page, 'User zeldaquist was deleted');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(page.url()).toContain('active=no');
    await expect.poll(() => userByName('zeldaquist')).toBeUndefined();
  });

  it("expires a user's password, and the user must choose a new one at sign-in", async () => {
    const victim = await makeUser(server.deps, { username: 'expiringuser' });
    const page = await newPage();
    await signIn(page, server.url, admin.username, admin.password);
    await page.goto(`${server.url}/users/${victim.user.uuid}`);
    await page.getByRole('heading', { name: 'expiringuser' }).waitFor();
    await page.getByRole('button', { name: 'Expire password now' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Expire password' }).click();
    await page.getByTestId('user-status').getByText('password expired').waitFor();

    const user = await newPage();
    await user.goto(server.url);
    await user.getByLabel('Username or email').fill('expiringuser');
    await user.getByLabel('Password', { exact: true }).fill(victim.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByRole('heading', { name: 'Your password has expired' }).waitFor();
    await screenshot(user, 'password-expired');
    await user.getByLabel('New password', { exact: true }).fill('a brand new password');
    await user.getByLabel('Repeat the new password').fill('a brand new password');
    await user.getByRole('button', { name: 'Change password and sign in' }).click();
    await user.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await user.getByTestId('user-menu').textContent()).toBe('expiringuser');
  });

  it("resets a user's password: their tokens stop, and the new password must be changed at sign-in", async () => {
    const victim = await makeUser(server.deps, { username: 'resetuser' });
    const asVictim = createRosterClient({ url: server.url, token: victim.token });
    expect((await asVictim.users.current.query()).username).toBe('resetuser');
    const page = await newPage();
    await signIn(page, server.url, admin.username, admin.password);
    await page.goto(`${server.url}/users/${victim.user.uuid}`);
    await page.getByRole('heading', { name: 'resetuser' }).waitFor();
    await page.getByRole('button', { name: 'Reset password' }).click();
    const dialog = page.getByRole('dialog', { name: "Reset resetuser's password" });
    await dialog.getByLabel('New password', { exact: true }).fill('short');
    await dialog.getByLabel('Repeat the new password').fill('short');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await dialog.getByText(/at least 8/).waitFor();
    await dialog.getByLabel('New password', { exact: true }).fill('temporary password 9');
    await dialog.getByLabel('Repeat the new password').fill('temporary password 9');
    await screenshot(page, 'reset-password');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await seeText(page, /resetuser's password was reset; 1 session\(s\) and token\(s\) ended/);
    await page.getByTestId('user-status').getByText('password expired').waitFor();

    await expect(asVictim.users.current.query()).rejects.toThrow();
    const anon = createRosterClient({ url: server.url });
    await expect(
      anon.auth.login.mutate({ login: 'resetuser', password: 'temporary password 9' }),
    ).rejects.toThrow(/expired/);
  });
});

describe('a signed-in user', () => {
  it('creates an API token, sees its secret once, uses it, and revokes it', async () => {
    const owner = await makeUser(server.deps, { username: 'tokenowner' });
    const page = await newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signIn(page, server.url, owner.username, owner.password);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByTestId('api-tokens-empty').waitFor();

    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API token' });
    await dialog.getByLabel('Label').fill('ci-bot');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const secretBox = dialog.getByTestId('new-token-secret');
    await secretBox.waitFor();
    const secret = (await secretBox.textContent())!.trim();
    expect(secret).toMatch(/^v2\/[a-z0-9-]+\/[a-z0-9]+$/);
    await screenshot(page, 'token-created');
    await dialog.getByRole('button', { name: 'Copy token' }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Shown once: the list has the token, never its secret.
    const row = page.getByTestId('api-tokens').getByRole('row', { name: /ci-bot/ });
    await row.waitFor();
    expect(await page.content()).not.toContain(secret.split('/')[2]);

    const asToken = createRosterClient({ url: server.url, token: secret });
    expect((await asToken.users.current.query()).username).toBe('tokenowner');

    await row.getByRole('button', { name: /^Revoke ci-bot/ }).click();
    await page
      .getByRole('dialog', { name: 'Revoke ci-bot?' })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await seeText(page, 'The token was revoked');
    await page.getByTestId('api-tokens-empty').waitFor();
    await expect(asToken.users.current.query()).rejects.toMatchObject({
      data: { appCode: 'UNAUTHENTICATED' },
    });
  });

  it('sees their sessions and signs the other ones out', async () => {
    const owner = await makeUser(server.deps, { username: 'sessionowner' });
    const laptop = await newPage();
    const phone = await newPage();
    await signIn(phone, server.url, owner.username, owner.password);
    await signIn(laptop, server.url, owner.username, owner.password);
    await laptop.getByRole('heading', { name: 'Your account' }).waitFor();
    const sessions = laptop.getByTestId('session-tokens');
    // makeUser's own session, the phone's and this one, marked as such.
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(3);
    await sessions.getByText('this session').waitFor();
    await screenshot(laptop, 'sessions');

    await laptop.getByRole('button', { name: 'Sign out other sessions' }).click();
    await laptop.getByRole('dialog').getByRole('button', { name: 'Sign out other sessions' }).click();
    await seeText(laptop, '2 other sessions were signed out');
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(1);

    await phone.reload();
    await phone.getByRole('heading', { name: 'Sign in' }).waitFor();
    await laptop.reload();
    await laptop.getByRole('heading', { name: 'Your account' }).waitFor();
  });

  it('changes their password after a wrong current password is refused on its field', async () => {
    const owner = await makeUser(server.deps, { username: 'passwordowner' });
    const page = await newPage();
    await signIn(page, server.url, owner.username, owner.password);
    const form = page.getByRole('region', { name: 'Password' });
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill('my next password');
    await form.getByLabel('Repeat the new password').fill('my next password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await seeText(page, 'the current password is not correct');
    await form.getByLabel('Current password').fill(owner.password);
    await form.getByRole('button', { name: 'Change password' }).click();
    await seeText(page, 'Your password was changed');
    // This session goes on.
    await page.reload();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  });
});
