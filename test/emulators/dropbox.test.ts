/** The Dropbox emulator over real HTTP: what Dropbox documents it accepts, and what it refuses. */
import { beginAuthorization } from '../../src/core/authorize';
import { resolveWithoutDiscovery } from '../../src/core/discovery';
import type { PendingAuthorization } from '../../src/core/ports';
import { buildProfileRequest } from '../../src/core/profile';
import { definitionFromPreset } from '../../src/core/providers';
import { dropbox } from '../../src/core/providers/dropbox';
import { buildRevocationRequests } from '../../src/core/revoke';
import { buildTokenRequest } from '../../src/core/token';
import { startDropboxEmulator } from './dropbox';
import type { ProviderEmulator } from './kit';

const client = { clientId: 'dbx-app-key', clientSecret: 'dbx-app-secret', redirectUri: 'https://chat.example.test/api/apps/public/app-1/complete' };
const provider = resolveWithoutDiscovery(definitionFromPreset(dropbox, { id: 'dropbox' }));
const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
const TOKEN_URL = 'https://api.dropboxapi.com/oauth2/token';
const ACCOUNT_URL = 'https://api.dropboxapi.com/2/users/get_current_account';

let emulator: ProviderEmulator;
beforeAll(async () => {
  emulator = await startDropboxEmulator({ client });
});
afterAll(() => emulator.close());

const at = (url: string) => emulator.server.resolve(new URL(url)).toString();

async function post(url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(at(url), { method: 'POST', headers, body });
  const raw = await response.text();
  return { status: response.status, body: (response.headers.get('content-type') ?? '').startsWith('application/json') ? JSON.parse(raw) : raw };
}

/** The app's own authorization request (PKCE, token_access_type=offline), approved by alice. */
async function authorize(extra: Record<string, string> = {}): Promise<{ code: string; verifier: string; location: URL }> {
  let pending: PendingAuthorization | undefined;
  const states = { put: async (p: PendingAuthorization) => void (pending = p), take: async () => pending };
  const start = await beginAuthorization({ provider, client, userId: 'u1', states, clock: { now: () => Date.now() } });
  const url = new URL(start.url);
  for (const [name, value] of Object.entries({ test_account: 'alice', test_decision: 'approve', ...extra })) url.searchParams.set(name, value);
  const response = await fetch(at(url.toString()), { redirect: 'manual' });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location')!);
  return { code: location.searchParams.get('code')!, verifier: pending!.codeVerifier!, location };
}

const exchange = (fields: Record<string, string>, headers: Record<string, string> = { authorization: basic }) =>
  post(
    TOKEN_URL,
    { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: client.redirectUri, ...fields }).toString(),
  );

test("the app's own requests: code exchange, refresh without rotation, profile, revocation", async () => {
  const { code, verifier } = await authorize();
  const request = buildTokenRequest(provider, client, {
    type: 'authorization_code',
    code,
    codeVerifier: verifier,
    redirectUri: client.redirectUri,
    requestedScopes: ['account_info.read'],
  });
  const tokens = await post(request.url, request.headers, request.body);
  expect(tokens.status).toBe(200);
  expect(tokens.body).toMatchObject({ token_type: 'bearer', expires_in: 14400, scope: 'account_info.read' });
  expect(tokens.body.access_token).toMatch(/^sl\./);
  expect(tokens.body.refresh_token).toBeTruthy();

  const previous = {
    accessToken: tokens.body.access_token,
    tokenType: 'bearer',
    refreshToken: tokens.body.refresh_token as string,
    obtainedAt: Date.now(),
    scopes: ['account_info.read'],
  };
  const refresh = buildTokenRequest(provider, client, { type: 'refresh_token', previous });
  for (let i = 0; i < 2; i++) {
    const renewed = await post(refresh.url, refresh.headers, refresh.body); // the same refresh token, twice: no rotation
    expect(renewed.status).toBe(200);
    expect(renewed.body.refresh_token).toBeUndefined();
    expect(renewed.body.access_token).toMatch(/^sl\./);
  }

  const profile = buildProfileRequest(provider);
  const me = await post(profile.url, { ...profile.headers, authorization: `Bearer ${previous.accessToken}` });
  expect(me.status).toBe(200);
  expect(me.body).toMatchObject({ name: { display_name: 'Alice Example' }, email: 'alice@example.test', account_id: 'dbid:AAEmulated1001' });

  const [revoke] = buildRevocationRequests(provider, client, previous);
  expect(await post(revoke.request.url, revoke.request.headers, revoke.request.body)).toEqual({ status: 200, body: null });
  expect(await post(ACCOUNT_URL, { authorization: `Bearer ${previous.accessToken}` })).toEqual({
    status: 401,
    body: { error_summary: 'invalid_access_token/..', error: { '.tag': 'invalid_access_token' } },
  });
  // Revoking the access token disables its refresh token too.
  expect((await post(refresh.url, refresh.headers, refresh.body)).body).toEqual({
    error: 'invalid_grant',
    error_description: 'refresh token is invalid or revoked',
  });
});

test('client authentication: Basic or POST parameters, never a wrong or missing secret', async () => {
  const { code, verifier } = await authorize();
  expect((await exchange({ code, code_verifier: verifier, client_id: client.clientId, client_secret: client.clientSecret }, {})).status).toBe(200);
  const wrong = await authorize();
  expect(
    await exchange(
      { code: wrong.code, code_verifier: wrong.verifier },
      { authorization: `Basic ${Buffer.from(`${client.clientId}:nope`).toString('base64')}` },
    ),
  ).toEqual({ status: 400, body: { error: 'invalid_client: Invalid client_id or client_secret' } });
  const none = await authorize();
  expect((await exchange({ code: none.code, code_verifier: none.verifier }, {})).body.error).toBe('invalid_request');
});

test('redirect_uri, the PKCE verifier and single use are checked at the exchange', async () => {
  const missing = await authorize();
  const noRedirect = await post(
    TOKEN_URL,
    { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    new URLSearchParams({ grant_type: 'authorization_code', code: missing.code, code_verifier: missing.verifier }).toString(),
  );
  expect(noRedirect).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'redirect_uri mismatch' } });
  const other = await authorize();
  expect((await exchange({ code: other.code, code_verifier: other.verifier, redirect_uri: `${client.redirectUri}x` })).body.error_description).toBe(
    'redirect_uri mismatch',
  );
  const badVerifier = await authorize();
  expect((await exchange({ code: badVerifier.code, code_verifier: 'x'.repeat(43) })).body.error).toBe('invalid_grant');

  const { code, verifier } = await authorize();
  expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
  expect(await exchange({ code, code_verifier: verifier })).toEqual({
    status: 400,
    body: { error: 'invalid_grant', error_description: "code doesn't exist or has expired" },
  });
});

test('RPC bodies, expired tokens, online access and denial', async () => {
  const online = await authorize({ token_access_type: 'online' });
  const tokens = await exchange({ code: online.code, code_verifier: online.verifier });
  expect(tokens.body.refresh_token).toBeUndefined();
  const bearer = { authorization: `Bearer ${tokens.body.access_token}` };
  expect((await post(ACCOUNT_URL, { ...bearer, 'content-type': 'application/json' }, 'null')).status).toBe(200);
  expect(await post(ACCOUNT_URL, { ...bearer, 'content-type': 'application/json' })).toMatchObject({
    status: 400,
    body: expect.stringContaining('could not decode input as JSON'),
  });
  expect(await post(ACCOUNT_URL, { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b')).toMatchObject({
    status: 400,
    body: expect.stringContaining('Bad HTTP "Content-Type" header'),
  });
  emulator.expireAccessToken(tokens.body.access_token);
  expect((await post(ACCOUNT_URL, bearer)).body.error['.tag']).toBe('expired_access_token');

  const denied = (await authorize({ test_decision: 'deny' })).location;
  expect(denied.searchParams.get('error')).toBe('access_denied');
  expect(denied.searchParams.get('code')).toBeNull();
});
