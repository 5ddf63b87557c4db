import { createRosterClient, type RosterClient } from '@roster/client';
import { makeUser, startTestServer, type TestServer } from '@roster/server/testing';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminDist, launchChromium } from '../scripts/harness';
import { pageTracker, screenshot, seeText, signedInState } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

let server: TestServer;
let browser: Browser;
let admin: Awaited<ReturnType<typeof makeUser>>;
let adminApi: RosterClient;
let adminState: Awaited<ReturnType<typeof signedInState>>;
const pages = pageTracker(() => browser);

beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri'), config: { adminDist } });
  admin = await makeUser(server.deps, { admin: true, username: 'groupadmin' });
  adminApi = createRosterClient({ url: server.url, token: admin.token });
  browser = await launchChromium();
  // Signing in has its own tests (console.e2e); here every page starts signed in.
  adminState = await signedInState(browser, server.url, admin.username, admin.password);
}, 180_000);

afterEach(async ({ task }) => {
  expect(await pages.settle(task)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function adminPage(path = '/') {
  const page = await pages.newPage(adminState);
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('user-menu').waitFor();
  return page;
}

/** Picks a user or group in a search-as-you-type picker. */
async function pick(scope: Page | Locator, page: Page, label: string, term: string, option: RegExp) {
  await scope.getByLabel(label, { exact: true }).fill(term);
  await page.getByRole('option', { name: option }).click();
}

/** The value of a data attribute on every row of a table. */
const rowsOf = (page: Page, testId: string, attribute: string) =>
  page
    .locator(`[data-testid=${testId}] tbody tr`)
    .evaluateAll((rows, a) => rows.map((r) => r.getAttribute(a)), attribute);

const region = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

describe('an administrator', () => {
  it('creates a group, adds a user and a nested group with levels, sees its permissions, and removes a member', async () => {
    const ginny = await makeUser(server.deps, { username: 'ginny' });
    const interns = await adminApi.groups.create.mutate({ name: 'Interns', description: 'Summer interns' });
    const page = await adminPage();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.locator('[data-testid=groups-table] tbody tr[data-group=Interns]').waitFor();
    await screenshot(page, 'groups');

    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await dialog.getByText('is required').waitFor();
    await dialog.getByLabel('Name').fill('Analysts');
    await dialog.getByLabel('Description').fill('People who read the reports');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await seeText(page, 'Group Analysts created');
    await page.getByRole('heading', { name: 'Analysts', level: 1 }).waitFor();
    const analystsUuid = page.url().split('/groups/')[1]!;
    await page.getByTestId('members-empty').waitFor();

    const members = region(page, 'Members');
    await pick(members, page, 'Add a user or group', 'gin', /^ginny/);
    await members.getByLabel('Level', { exact: true }).selectOption('can_write');
    await members.getByRole('button', { name: 'Add member' }).click();
    await seeText(page, 'ginny was added to Analysts');
    await pick(members, page, 'Add a user or group', 'Inter', /^Interns/);
    await members.getByRole('button', { name: 'Add member' }).click();
    await seeText(page, 'Interns was added to Analysts');
    await expect.poll(() => rowsOf(page, 'members-table', 'data-member')).toEqual(['ginny', 'Interns']);
    expect(await members.getByLabel('Level of ginny').inputValue()).toBe('can_write');
    expect(await members.getByLabel('Level of Interns').inputValue()).toBe('can_read');
    await screenshot(page, 'group');
    expect(
      (await adminApi.groups.members.query({ uuid: analystsUuid })).items.map((m) => [m.name, m.level]),
    ).toEqual([
      ['ginny', 'can_write'],
      ['Interns', 'can_read'],
    ]);

    // The nested group's own permissions: it holds can_read on Analysts.
    await members.getByRole('link', { name: 'Interns' }).click();
    await page.getByRole('heading', { name: 'Interns', level: 1 }).waitFor();
    await expect.poll(() => rowsOf(page, 'group-permissions', 'data-target')).toEqual(['Analysts']);
    await page.getByTestId('group-permissions').getByText('can read').waitFor();
    expect(page.url()).toBe(`${server.url}/groups/${interns.uuid}`);
    await page.goBack();

    await members.getByRole('button', { name: 'Remove ginny' }).click();
    await page
      .getByRole('dialog', { name: 'Remove ginny from Analysts?' })
      .getByRole('button', { name: 'Remove member' })
      .click();
    await seeText(page, 'ginny was removed from Analysts');
    await expect.poll(() => rowsOf(page, 'members-table', 'data-member')).toEqual(['Interns']);
    expect((await adminApi.groups.members.query({ uuid: analystsUuid })).items.map((m) => m.name)).toEqual([
      'Interns',
    ]);
    // And ginny's own memberships no longer list it.
    const asGinny = createRosterClient({ url: server.url, token: ginny.token });
    const held = await asGinny.permissions.list.query({ filters: [['tailUuid', '=', ginny.user.uuid]] });
    expect(held.items.map((l) => l.headUuid)).not.toContain(analystsUuid);
  });

  it('keeps both filters when two search boxes are typed in together, on a slow machine', async () => {
    const page = await adminPage('/audit');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // A slow machine: the router's navigation renders late, after a text box's own re-render.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    const param = (name: string) => new URL(page.url()).searchParams.get(name);
    for (const [target, action] of [
      ['groupadmin', 'users.upd'],
      ['auditee', 'groups.'],
      ['groupadmin', 'auth.login'],
    ] as const) {
      await page.getByLabel('Target').fill(target);
      await page.getByLabel('Action').fill(action);
      await expect.poll(() => param('action'), { timeout: 20_000 }).toBe(action);
      await expect.poll(() => param('target'), { timeout: 20_000 }).toBe(target);
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  });

  it('edits and deactivates a user, then finds both changes in the audit log and in their audit trail', async () => {
    const auditee = await makeUser(server.deps, { username: 'auditee' });
    const page = await adminPage(`/users/${auditee.user.uuid}`);
    await page.getByRole('heading', { name: 'auditee', level: 1 }).waitFor();
    await page.getByLabel('Last name').fill('Audited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await seeText(page, 'auditee was saved');
    await page.getByRole('switch', { name: 'Active' }).click();
    await page
      .getByRole('dialog', { name: 'Deactivate auditee?' })
      .getByRole('button', { name: 'Deactivate' })
      .click();
    await seeText(page, 'auditee was deactivated');

    // The user's audit trail: newest first.
    const trail = region(page, 'Audit trail');
    await expect
      .poll(() => trail.locator('[data-testid=audit-table] tbody tr').evaluateAll((rows) => rows.length))
      .toBeGreaterThanOrEqual(2);
    const actions = await trail
      .locator('[data-testid=audit-table] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions.slice(0, 2)).toEqual(['users.update', 'users.update']);
    await trail.getByText('isActive: false').waitFor();
    await trail.getByText('By auditee').click();
    await trail.getByTestId('audit-empty').waitFor();

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByLabel('Target').fill('auditee');
    await page.getByLabel('Action').fill('users.upd');
    await expect.poll(() => page.url()).toContain('action=users.upd');
    await expect.poll(() => page.url()).toContain('target=auditee');
    await page.locator('[data-testid=audit-table][aria-busy=false]').waitFor();
    await expect
      .poll(() => rowsOf(page, 'audit-table', 'data-action'))
      .toEqual(['users.update', 'users.update']);
    const table = page.getByTestId('audit-table');
    await table.getByText('isActive: false').waitFor();
    await table.getByText('lastName: Audited').waitFor();
    // Actor and target by name.
    await table.getByRole('link', { name: 'groupadmin' }).first().waitFor();
    await table.getByRole('link', { name: 'auditee' }).first().waitFor();
    await screenshot(page, 'audit');

    // Filters survive a reload; an outcome nobody had empties the table.
    await page.reload();
    await expect
      .poll(() => rowsOf(page, 'audit-table', 'data-action'))
      .toEqual(['users.update', 'users.update']);
    await page.getByLabel('Outcome').selectOption('denied');
    await seeText(page, 'No event matches');
    await page.getByLabel('Actor').fill('nosuchperson');
    await seeText(page, 'no user has this username');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect
      .poll(async () => (await rowsOf(page, 'audit-table', 'data-action')).length)
      .toBeGreaterThan(2);
  });

  it('unsets up, sets up and activates a user from their page', async () => {
    // New users are set up by default (ROSTER_AUTO_SETUP_NEW_USERS): invited, not yet active.
    const newbie = await makeUser(server.deps, { username: 'newbie', active: false });
    const page = await adminPage(`/users/${newbie.user.uuid}`);
    const stage = page.getByTestId('lifecycle-stage');
    await stage.getByText('set up, not active').waitFor();
    const lifecycle = region(page, 'Set up and activation');

    await lifecycle.getByRole('button', { name: 'Activate', exact: true }).click();
    await seeText(page, 'newbie is active');
    await stage.getByText('active', { exact: true }).waitFor();
    await region(page, 'Memberships').getByRole('link', { name: 'All users' }).waitFor();
    const token = await adminApi.tokens.create.mutate({
      userUuid: newbie.user.uuid,
      label: 'newbie-script',
      scopes: ['all'],
    });
    const asNewbie = createRosterClient({ url: server.url, token: token.secret });
    expect((await asNewbie.users.current.query()).isActive).toBe(true);

    await lifecycle.getByRole('button', { name: 'Unset up', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Unset up newbie?' });
    await confirm.getByText('every API token and session of theirs is deleted').waitFor();
    await screenshot(page, 'user-unsetup', { fullPage: false });
    await confirm.getByRole('button', { name: 'Unset up' }).click();
    await seeText(page, 'newbie is no longer set up');
    await stage.getByText('not set up').waitFor();
    await page.getByTestId('memberships-empty').waitFor();
    await page.getByTestId('api-tokens-empty').waitFor();
    await expect(asNewbie.users.current.query()).rejects.toMatchObject({
      data: { appCode: 'UNAUTHENTICATED' },
    });

    await lifecycle.getByRole('button', { name: 'Set up', exact: true }).click();
    await seeText(page, 'newbie is set up');
    await stage.getByText('set up, not active').waitFor();
    await region(page, 'Memberships').getByRole('link', { name: 'All users' }).waitFor();
    await screenshot(page, 'user-lifecycle');
    const after = await adminApi.users.get.query({ uuid: newbie.user.uuid });
    expect([after.isActive, after.isInvited]).toEqual([false, true]);
  });

  it('merges one user into another through the dialog: the old one is gone, the new one has its tokens', async () => {
    const old = await makeUser(server.deps, { username: 'oldaccount' });
    const kept = await makeUser(server.deps, { username: 'keptaccount' });
    const team = await adminApi.groups.create.mutate({ name: 'Mergers' });
    await adminApi.permissions.grant.mutate({
      tailUuid: old.user.uuid,
      headUuid: team.uuid,
      level: 'can_write',
    });
    await adminApi.tokens.create.mutate({ userUuid: old.user.uuid, label: 'old-laptop', scopes: ['all'] });

    const page = await adminPage(`/users/${old.user.uuid}`);
    await page.getByRole('heading', { name: 'oldaccount', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Merge into another account…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge oldaccount into another account?' });
    // Refused until the remaining account is chosen.
    await dialog.getByRole('button', { name: 'Merge accounts' }).click();
    await dialog.getByText('choose the account that remains').waitFor();
    await pick(dialog, page, 'Account that remains', 'kept', /^keptaccount/);
    const summary = dialog.getByTestId('merge-summary');
    // makeUser's session and the API token; Mergers and All users.
    await summary.getByText('2 API tokens and sessions of oldaccount: they keep working').waitFor();
    await summary.getByText(/^2 group memberships and permissions held by oldaccount/).waitFor();
    await summary.getByText('What moves to keptaccount:').waitFor();
    await screenshot(page, 'merge', { fullPage: false });
    await dialog.getByRole('button', { name: 'Merge accounts' }).click();
    await seeText(page, 'oldaccount was merged into keptaccount');

    await page.getByRole('heading', { name: 'keptaccount', level: 1 }).waitFor();
    expect(page.url()).toBe(`${server.url}/users/${kept.user.uuid}`);
    await page.getByTestId('api-tokens').getByText('old-laptop').waitFor();
    await region(page, 'Memberships').getByRole('link', { name: 'Mergers' }).waitFor();

    await expect(adminApi.users.get.query({ uuid: old.user.uuid })).rejects.toMatchObject({
      data: { appCode: 'NOT_FOUND' },
    });
    const found = await adminApi.users.list.query({ filters: [['uuid', '=', old.user.uuid]] });
    expect(found.items).toEqual([]);
    // The old account's session now acts as the one that remains.
    const asOld = createRosterClient({ url: server.url, token: old.token });
    expect((await asOld.users.current.query()).username).toBe('keptaccount');
  });

  // Last in this file: a required agreement stops later activations until it is signed.
  it('publishes an agreement and sees who signed it', async () => {
    const signer = await makeUser(server.deps, { username: 'signer' });
    const page = await adminPage();
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Agreements' })
      .click();
    await seeText(page, 'No agreements yet');

    await page.getByRole('button', { name: 'Publish an agreement' }).click();
    const dialog = page.getByRole('dialog', { name: 'Publish an agreement' });
    await dialog.getByLabel('Title').fill('Acceptable use');
    await dialog.getByLabel('Version').fill('2026-1');
    await dialog.getByLabel('Text').fill('Be kind to the cluster.\nDo not share your tokens.');
    expect(await dialog.getByRole('switch', { name: 'Required' }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Publish', exact: true }).click();
    await seeText(page, 'Acceptable use (version 2026-1) was published');
    await page.getByRole('heading', { name: 'Acceptable use, version 2026-1' }).waitFor();
    await page.getByTestId('signatures-empty').waitFor();

    const [agreement] = await adminApi.agreements.list.query();
    expect(agreement).toMatchObject({ title: 'Acceptable use', required: true });
    const asSigner = createRosterClient({ url: server.url, token: signer.token });
    await asSigner.agreements.sign.mutate({ uuid: agreement!.uuid });

    await page.reload();
    await expect.poll(() => rowsOf(page, 'signatures-table', 'data-user')).toEqual(['signer']);
    await screenshot(page, 'agreements');

    // A page more than the console shows: the server pages, newest first, and counts them all.
    for (let i = 0; i < 25; i++) {
      const later = await makeUser(server.deps);
      await createRosterClient({ url: server.url, token: later.token }).agreements.sign.mutate({
        uuid: agreement!.uuid,
      });
    }
    await page.reload();
    await expect.poll(() => page.getByTestId('pager-summary').textContent()).toBe('1–25 of 26 signatures');
    expect(await rowsOf(page, 'signatures-table', 'data-user')).not.toContain('signer');
    await page.getByRole('button', { name: 'Page 2' }).click();
    await expect.poll(() => rowsOf(page, 'signatures-table', 'data-user')).toEqual(['signer']);
  });
});
