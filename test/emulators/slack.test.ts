/** The Slack emulator over real HTTP: what Slack documents it accepts, and what it refuses. */
import { beginAuthorization } from '../../src/core/authorize';
import type { PendingAuthorization } from '../../src/core/ports';
import { buildProfileRequest } from '../../src/core/profile';
import { definitionFromPreset } from '../../src/core/providers';
import { slack } from '../../src/core/providers/slack';
import { buildRevocationRequests } from '../../src/core/revoke';
import { buildTokenRequest } from '../../src/core/token';
import { resolveWithoutDiscovery } from '../../src/core/discovery';
import type { ProviderEmulator } from './kit';
import { startSlackEmulator } from './slack';

const client = { clientId: '1111.2222', clientSecret: 'slack-secret', redirectUri: 'https://chat.example.test/api/apps/public/app-1/complete' };
const provider = resolveWithoutDiscovery(definitionFromPreset(slack, { id: 'slack' }));
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

let emulator: ProviderEmulator;
let plain: ProviderEmulator;
beforeAll(async () => {
  emulator = await startSlackEmulator({ client, rotation: true });
  plain = await startSlackEmulator({ client });
});
afterAll(async () => {
  await emulator.close();
  await plain.close();
});

function at(url: string, on = emulator): string {
  return on.server.resolve(new URL(url)).toString();
}

async function call(url: string, init: { headers?: Record<string, string>; body?: string }, on = emulator): Promise<Record<string, any>> {
  const response = await fetch(at(url, on), { method: 'POST', headers: init.headers, body: init.body });
  expect(response.status).toBe(200); // Slack answers errors in an HTTP 200
  return (await response.json()) as Record<string, any>;
}

/** Authorizes as alice with the app's own authorization URL; answers the code. */
async function authorize(decision: 'approve' | 'deny' = 'approve', on = emulator): Promise<URL> {
  const states = { put: async (_: PendingAuthorization) => undefined, take: async () => undefined };
  const start = await beginAuthorization({ provider, client, userId: 'u1', states, clock: { now: () => Date.now() } });
  const url = new URL(start.url);
  url.searchParams.set('test_account', 'alice');
  url.searchParams.set('test_decision', decision);
  const response = await fetch(at(url.toString(), on), { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

const exchange = (
  code: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = { authorization: basic(client.clientId, client.clientSecret) },
  on = emulator,
) =>
  call(
    'https://slack.com/api/oauth.v2.access',
    { headers: { 'content-type': form, ...headers }, body: new URLSearchParams({ code, redirect_uri: client.redirectUri, ...fields }).toString() },
    on,
  );

test("the app's own requests: code exchange, auth.test, auth.revoke", async () => {
  const code = (await authorize()).searchParams.get('code')!;
  const request = buildTokenRequest(provider, client, { type: 'authorization_code', code, redirectUri: client.redirectUri, requestedScopes: ['users:read'] });
  const answer = (await (await fetch(at(request.url), { method: 'POST', headers: request.headers, body: request.body })).json()) as Record<string, any>;
  expect(answer.ok).toBe(true);
  expect(answer.access_token).toBeUndefined(); // no bot scopes: no bot token at the top level
  expect(answer.authed_user).toMatchObject({ token_type: 'user', scope: 'users:read', expires_in: 43200 });
  expect(answer.authed_user.access_token).toMatch(/^xoxe\.xoxp-/);
  expect(answer.authed_user.refresh_token).toMatch(/^xoxe-1-/);
  const token = answer.authed_user.access_token as string;

  const profile = buildProfileRequest(provider);
  const me = (await (
    await fetch(at(profile.url), { method: profile.method, headers: { ...profile.headers, authorization: `Bearer ${token}` } })
  ).json()) as Record<string, any>;
  expect(me).toMatchObject({ ok: true, user: 'alice', user_id: 'U1001' });

  const [revoke] = buildRevocationRequests(provider, client, { accessToken: token, tokenType: 'user', obtainedAt: Date.now(), scopes: [] });
  expect(await call(revoke.request.url, { headers: revoke.request.headers })).toEqual({ ok: true, revoked: true });
  expect(await call('https://slack.com/api/auth.test', { headers: { authorization: `Bearer ${token}` } })).toEqual({ ok: false, error: 'token_revoked' });
  expect(await exchange('', { grant_type: 'refresh_token', refresh_token: answer.authed_user.refresh_token })).toEqual({
    ok: false,
    error: 'invalid_refresh_token',
  });
});

test('client authentication: Basic or body parameters, never a wrong or missing secret', async () => {
  const byBody = await exchange((await authorize()).searchParams.get('code')!, { client_id: client.clientId, client_secret: client.clientSecret }, {});
  expect(byBody.ok).toBe(true);
  expect(await exchange((await authorize()).searchParams.get('code')!, {}, { authorization: basic(client.clientId, 'wrong') })).toEqual({
    ok: false,
    error: 'bad_client_secret',
  });
  expect(await exchange((await authorize()).searchParams.get('code')!, { client_id: client.clientId }, {})).toEqual({ ok: false, error: 'bad_client_secret' });
  expect(await exchange((await authorize()).searchParams.get('code')!, {}, { authorization: basic('9999.0000', client.clientSecret) })).toEqual({
    ok: false,
    error: 'invalid_client_id',
  });
});

test('redirect_uri must repeat the authorization request; a code is single use', async () => {
  const missing = (await authorize()).searchParams.get('code')!;
  expect(
    await call('https://slack.com/api/oauth.v2.access', {
      headers: { 'content-type': form, authorization: basic(client.clientId, client.clientSecret) },
      body: `code=${missing}`,
    }),
  ).toEqual({ ok: false, error: 'bad_redirect_uri' });
  expect(await exchange((await authorize()).searchParams.get('code')!, { redirect_uri: `${client.redirectUri}/other` })).toEqual({
    ok: false,
    error: 'bad_redirect_uri',
  });

  const code = (await authorize()).searchParams.get('code')!;
  const first = await exchange(code);
  expect(first.ok).toBe(true);
  expect(await exchange(code)).toEqual({ ok: false, error: 'invalid_code' });
  expect(emulator.isAlive(first.authed_user.access_token)).toBe(false); // a replayed code revokes what it issued
});

test('rotation: the refreshed user token comes at the top level, and a refresh token works once', async () => {
  const first = await exchange((await authorize()).searchParams.get('code')!);
  const refreshToken = first.authed_user.refresh_token as string;
  const renewed = await exchange('', { grant_type: 'refresh_token', refresh_token: refreshToken });
  expect(renewed).toMatchObject({ ok: true, token_type: 'user', expires_in: 43200 });
  expect(renewed.access_token).toMatch(/^xoxe\.xoxp-/);
  expect(renewed.refresh_token).not.toBe(refreshToken);
  expect(await exchange('', { grant_type: 'refresh_token', refresh_token: refreshToken })).toEqual({ ok: false, error: 'invalid_refresh_token' });
  emulator.expireAccessToken(renewed.access_token);
  expect(await call('https://slack.com/api/auth.test', { headers: { authorization: `Bearer ${renewed.access_token}` } })).toEqual({
    ok: false,
    error: 'token_expired',
  });
  expect(await call('https://slack.com/api/auth.test', { headers: { authorization: 'Bearer xoxp-unknown' } })).toEqual({ ok: false, error: 'invalid_auth' });
});

test('without rotation: no expiry, no refresh token; denial comes back as access_denied', async () => {
  const answer = await exchange((await authorize('approve', plain)).searchParams.get('code')!, {}, undefined, plain);
  expect(answer.authed_user.access_token).toMatch(/^xoxp-/);
  expect(answer.authed_user.expires_in).toBeUndefined();
  expect(answer.authed_user.refresh_token).toBeUndefined();
  const denied = await authorize('deny', plain);
  expect(denied.searchParams.get('error')).toBe('access_denied');
  expect(denied.searchParams.get('code')).toBeNull();
});
