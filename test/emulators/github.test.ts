/** The GitHub emulator over real HTTP: what GitHub documents it accepts, and what it refuses. */
import { beginAuthorization } from '../../src/core/authorize';
import { resolveWithoutDiscovery } from '../../src/core/discovery';
import { USER_AGENT } from '../../src/core/http';
import type { PendingAuthorization } from '../../src/core/ports';
import { definitionFromPreset } from '../../src/core/providers';
import { github } from '../../src/core/providers/github';
import { buildRevocationRequests } from '../../src/core/revoke';
import { buildTokenRequest } from '../../src/core/token';
import { startGitHubEmulator } from './github';
import type { ProviderEmulator } from './kit';

const client = { clientId: 'Iv1.0123456789abcdef', clientSecret: 'github-secret', redirectUri: 'https://chat.example.test/api/apps/public/app-1/complete' };
const provider = resolveWithoutDiscovery(definitionFromPreset(github, { id: 'github' }));
const form = 'application/x-www-form-urlencoded';

let oauthApp: ProviderEmulator;
let expiring: ProviderEmulator;
beforeAll(async () => {
  oauthApp = await startGitHubEmulator({ client });
  expiring = await startGitHubEmulator({ client, variant: 'expiring-user-tokens' });
});
afterAll(async () => {
  await oauthApp.close();
  await expiring.close();
});

const at = (url: string, on: ProviderEmulator) => on.server.resolve(new URL(url)).toString();

/** Authorizes as alice with the app's own authorization URL; answers the code and the PKCE verifier. */
async function authorize(on: ProviderEmulator, scopes = ['read:user']): Promise<{ code: string; verifier: string }> {
  let pending: PendingAuthorization | undefined;
  const states = { put: async (p: PendingAuthorization) => void (pending = p), take: async () => undefined };
  const start = await beginAuthorization({ provider, client, userId: 'u1', scopes, states, clock: { now: () => Date.now() } });
  const url = new URL(start.url);
  url.searchParams.set('test_account', 'alice');
  const response = await fetch(at(url.toString(), on), { redirect: 'manual' });
  expect(response.status).toBe(302);
  return { code: new URL(response.headers.get('location')!).searchParams.get('code')!, verifier: pending!.codeVerifier! };
}

async function token(on: ProviderEmulator, fields: Record<string, string>, headers: Record<string, string> = { accept: 'application/json' }) {
  const response = await fetch(at('https://github.com/login/oauth/access_token', on), {
    method: 'POST',
    headers: { 'content-type': form, ...headers },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, ...fields }).toString(),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

const user = (on: ProviderEmulator, accessToken: string, headers: Record<string, string> = { 'user-agent': USER_AGENT }) =>
  fetch(at('https://api.github.com/user', on), { headers: { authorization: `Bearer ${accessToken}`, ...headers } });

test("the app's own code exchange: JSON asked for, a non-expiring token, no refresh token, granted scopes comma-separated", async () => {
  const { code, verifier } = await authorize(oauthApp, ['read:user', 'repo', 'made:up']);
  const request = buildTokenRequest(provider, client, {
    type: 'authorization_code',
    code,
    codeVerifier: verifier,
    redirectUri: client.redirectUri,
    requestedScopes: [],
  });
  const answer = (await (await fetch(at(request.url, oauthApp), { method: 'POST', headers: request.headers, body: request.body })).json()) as {
    access_token: string;
  };
  expect(answer).toEqual({ access_token: expect.stringMatching(/^gho_/), scope: 'read:user,repo', token_type: 'bearer' });
  const profile = await user(oauthApp, answer.access_token);
  expect(await profile.json()).toMatchObject({ login: 'alice' });
});

test('answers form-encoded unless JSON is asked for, and errors in HTTP 200', async () => {
  const { code, verifier } = await authorize(oauthApp);
  const plain = await token(oauthApp, { code, code_verifier: verifier }, {});
  expect(plain.status).toBe(200);
  expect(plain.type).toMatch(/^application\/x-www-form-urlencoded/);
  expect(new URLSearchParams(plain.body).get('access_token')).toMatch(/^gho_/);
  const replay = await token(oauthApp, { code, code_verifier: verifier });
  expect(replay.status).toBe(200);
  expect(JSON.parse(replay.body)).toMatchObject({ error: 'bad_verification_code' });
});

test('refuses HTTP Basic client authentication, a wrong secret, a wrong verifier and a different redirect_uri', async () => {
  const { code, verifier } = await authorize(oauthApp);
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  const viaBasic = await fetch(at('https://github.com/login/oauth/access_token', oauthApp), {
    method: 'POST',
    headers: { 'content-type': form, accept: 'application/json', authorization: basic },
    body: new URLSearchParams({ code, code_verifier: verifier }).toString(),
  });
  expect(await viaBasic.json()).toMatchObject({ error: 'incorrect_client_credentials' });
  expect(JSON.parse((await token(oauthApp, { code, code_verifier: verifier, client_secret: 'wrong' })).body)).toMatchObject({
    error: 'incorrect_client_credentials',
  });
  expect(JSON.parse((await token(oauthApp, { code, code_verifier: verifier, redirect_uri: 'https://evil.example/cb' })).body)).toMatchObject({
    error: 'redirect_uri_mismatch',
  });
  const second = await authorize(oauthApp);
  expect(JSON.parse((await token(oauthApp, { code: second.code, code_verifier: verifier })).body)).toMatchObject({ error: 'bad_verification_code' });
});

test('the REST API wants a User-Agent and a live token', async () => {
  const { code, verifier } = await authorize(oauthApp);
  const accessToken = JSON.parse((await token(oauthApp, { code, code_verifier: verifier })).body).access_token;
  expect((await user(oauthApp, accessToken, { 'user-agent': '' })).status).toBe(403);
  expect((await user(oauthApp, 'gho_unknown')).status).toBe(401);
  oauthApp.expireAccessToken(accessToken);
  expect(await (await user(oauthApp, accessToken)).json()).toMatchObject({ message: 'Bad credentials' });
});

test('DELETE /applications/{client_id}/token needs Basic client credentials, then the token is dead', async () => {
  const { code, verifier } = await authorize(oauthApp);
  const accessToken = JSON.parse((await token(oauthApp, { code, code_verifier: verifier })).body).access_token;
  const url = at(`https://api.github.com/applications/${client.clientId}/token`, oauthApp);
  const body = JSON.stringify({ access_token: accessToken });
  const headers = { 'content-type': 'application/json', accept: 'application/vnd.github+json' };
  expect((await fetch(url, { method: 'DELETE', headers, body })).status).toBe(404);
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  expect((await fetch(url, { method: 'DELETE', headers: { ...headers, authorization: basic }, body })).status).toBe(204);
  expect((await user(oauthApp, accessToken)).status).toBe(401);
  expect(oauthApp.isAlive(accessToken)).toBe(false);
});

test("the preset's revocation request, filled by the core, is the one GitHub accepts", async () => {
  const { code, verifier } = await authorize(oauthApp);
  const accessToken = JSON.parse((await token(oauthApp, { code, code_verifier: verifier })).body).access_token;
  const [revoke, ...more] = buildRevocationRequests(provider, client, { accessToken, tokenType: 'bearer', obtainedAt: Date.now(), scopes: [] });
  expect(more).toEqual([]);
  expect(revoke.request.method).toBe('DELETE');
  const response = await fetch(at(revoke.request.url, oauthApp), { method: revoke.request.method, headers: revoke.request.headers, body: revoke.request.body });
  expect(response.status).toBe(204);
  expect(oauthApp.isAlive(accessToken)).toBe(false);
});

test('expiring user tokens: ghu_/ghr_ pairs, a refresh token works once and retires the old access token', async () => {
  const { code, verifier } = await authorize(expiring);
  const first = JSON.parse((await token(expiring, { code, code_verifier: verifier })).body);
  expect(first).toMatchObject({
    access_token: expect.stringMatching(/^ghu_/),
    refresh_token: expect.stringMatching(/^ghr_/),
    expires_in: 28800,
    refresh_token_expires_in: 15897600,
  });
  const renewed = JSON.parse((await token(expiring, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body);
  expect(renewed.refresh_token).not.toBe(first.refresh_token);
  expect((await user(expiring, first.access_token)).status).toBe(401);
  expect((await user(expiring, renewed.access_token)).status).toBe(200);
  expect(JSON.parse((await token(expiring, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body)).toMatchObject({
    error: 'bad_refresh_token',
  });
  // An OAuth app cannot refresh at all.
  expect(JSON.parse((await token(oauthApp, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body)).toMatchObject({
    error: 'bad_refresh_token',
  });
});
