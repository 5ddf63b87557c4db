import { makeUser, startTestServer, type TestServer } from '@roster/server/testing';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createRosterClient, isRosterError, type RosterClient } from '../src/index';

/** Starts a real server on its own database for this test file, and closes it afterwards. */
export function useServer(
  config?: Parameters<typeof startTestServer>[0]['config'],
  opts: { logLines?: string[] } = {},
) {
  const state = {} as {
    server: TestServer;
    url: string;
    anon: RosterClient;
    client(token?: string): RosterClient;
    user(
      opts?: Parameters<typeof makeUser>[1],
    ): Promise<Awaited<ReturnType<typeof makeUser>> & { client: RosterClient }>;
  };
  beforeAll(async () => {
    state.server = await startTestServer({ uri: inject('mongoUri'), ...(config ? { config } : {}), ...opts });
    state.url = state.server.url;
    state.client = (token) =>
      createRosterClient({ url: state.url, ...(token ? { token } : {}), batch: false });
    state.anon = state.client();
    state.user = async (opts) => {
      const u = await makeUser(state.server.deps, opts);
      return { ...u, client: state.client(u.token) };
    };
  });
  afterAll(async () => {
    await state.server?.close();
  });
  return state;
}

/** Awaits a call that must fail, and returns its Roster error data. */
export async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeDefined();
  if (!isRosterError(err)) throw err;
  return {
    code: err.data.code,
    appCode: err.data.appCode,
    field: err.data.field,
    fieldErrors: err.data.fieldErrors,
    message: err.message,
    status: err.data.httpStatus,
  };
}
