/**
 * The Asana emulator over real HTTP: a good exchange works, and what Asana refuses is refused
 * (see the citations in asana.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { startAsanaEmulator } from './asana';
import type { ProviderEmulator } from './kit';

const client = { clientId: '1201234567890', clientSecret: 'asana-secret', redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete' };
let emulator: ProviderEmulator;
let scoped: ProviderEmulator;

beforeAll(async () => {
  emulator = await startAsanaEmulator({ client });
  scoped = await startAsanaEmulator({ client, permissions: ['users:read', 'tasks:read'] });
});
afterAll(async () => {
  await emulator.close();
  await scoped.close();
});

const at = (url: string, on = emulator) => on.server.resolve(new URL(url)).toString();
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

async function authorize(overrides: Record<string, string | null> = {}, on = emulator) {
  const url = new URL('https://app.asana.com/-/oauth_authorize');
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    test_account: 'bob',
    test_decision: 'approve',
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  const response = await fetch(at(url.toString(), on), { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : undefined, text: await response.text() };
}

async function codeOf(overrides: Record<string, string | null> = {}, on = emulator): Promise<string> {
  const { location } = await authorize(overrides, on);
  const code = location?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  return code;
}

async function post(path: string, body: Record<string, string>, headers: Record<string, string> = {}, on = emulator) {
  const response = await fetch(at(`https://app.asana.com${path}`, on), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(body).toString(),
  });
  const raw = await response.text();
  return { status: response.status, body: (raw ? JSON.parse(raw) : {}) as Record<string, unknown> };
}

const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
const exchange = (code: string, extra: Record<string, string> = {}, on = emulator) =>
  post(
    '/-/oauth_token',
    { grant_type: 'authorization_code', ...credentials, redirect_uri: client.redirectUri, code, code_verifier: verifier, ...extra },
    {},
    on,
  );

async function me(accessToken: string, on = emulator) {
  const response = await fetch(at('https://app.asana.com/api/1.0/users/me', on), { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> } };
}

test('a code exchange with PKCE gives a 1-hour token, a refresh token and the user in `data`; /users/me answers', async () => {
  const { status, location } = await authorize();
  expect(status).toBe(302);
  expect(location?.searchParams.get('state')).toBe('st-1');
  const answer = await exchange(location!.searchParams.get('code')!);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    expires_in: 3600,
    token_type: 'bearer',
    data: { id: 1002, gid: '1002', name: 'Bob Example', email: 'bob@example.test' },
  });
  expect(answer.body.refresh_token).toEqual(expect.stringContaining('/'));
  const profile = await me(answer.body.access_token as string);
  expect(profile).toMatchObject({ status: 200, body: { data: { gid: '1002', name: 'Bob Example', email: 'bob@example.test' } } });
});

test('the authorization page: plain-text error for a foreign redirect_uri, redirects for the rest, forbidden_scopes per registration', async () => {
  const foreign = await authorize({ redirect_uri: 'https://evil.example.test/cb' });
  expect(foreign.status).toBe(400);
  expect(foreign.location).toBeUndefined();
  expect((await authorize({ state: null })).location?.searchParams.get('error')).toBe('invalid_request');
  expect((await authorize({ code_challenge_method: 'plain' })).location?.searchParams.get('error')).toBe('invalid_request');
  expect((await authorize({ test_decision: 'deny' })).location?.searchParams.get('error')).toBe('access_denied');
  // Full permissions: no specific scopes. Scoped registration: scopes must be named, and registered.
  expect((await authorize({ scope: 'tasks:read' })).text).toMatch(/^forbidden_scopes/);
  expect((await authorize({}, scoped)).text).toMatch(/default identity scopes/);
  expect((await authorize({ scope: 'projects:read' }, scoped)).text).toMatch(/^forbidden_scopes/);
  const limited = (await exchange(await codeOf({ scope: 'tasks:read' }, scoped), {}, scoped)).body;
  expect((await me(limited.access_token as string, scoped)).status).toBe(403);
  const withUsers = (await exchange(await codeOf({ scope: 'users:read' }, scoped), {}, scoped)).body;
  expect((await me(withUsers.access_token as string, scoped)).status).toBe(200);
});

test('the token endpoint refuses HTTP Basic, a JSON body, a missing or different redirect_uri, a wrong verifier and a replayed code', async () => {
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  const viaBasic = await post(
    '/-/oauth_token',
    { grant_type: 'authorization_code', redirect_uri: client.redirectUri, code: await codeOf(), code_verifier: verifier },
    { authorization: basic },
  );
  expect(viaBasic).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  const asJson = await fetch(at('https://app.asana.com/-/oauth_token'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code', ...credentials, redirect_uri: client.redirectUri, code: await codeOf(), code_verifier: verifier }),
  });
  expect(asJson.status).toBe(400);
  const withoutRedirect = { grant_type: 'authorization_code', ...credentials, code: await codeOf(), code_verifier: verifier };
  expect(await post('/-/oauth_token', withoutRedirect)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  expect(await exchange(await codeOf(), { redirect_uri: 'https://other.example.test/cb' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchange(await codeOf(), { code_verifier: randomBytes(32).toString('base64url') })).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
  const code = await codeOf();
  expect((await exchange(code)).status).toBe(200);
  expect(await exchange(code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

test('refresh tokens do not rotate; revocation takes the refresh token only, and takes its access tokens with it', async () => {
  const first = (await exchange(await codeOf())).body;
  const refresh = () => post('/-/oauth_token', { grant_type: 'refresh_token', ...credentials, refresh_token: first.refresh_token as string });
  const second = await refresh();
  expect(second.status).toBe(200);
  expect(second.body.refresh_token).toBeUndefined();
  expect((await refresh()).status).toBe(200);

  expect(await post('/-/oauth_revoke', { ...credentials, token: first.access_token as string })).toMatchObject({ status: 400 });
  expect((await post('/-/oauth_revoke', { client_id: client.clientId, token: first.refresh_token as string })).status).toBe(400);
  expect((await post('/-/oauth_revoke', { ...credentials, token: first.refresh_token as string })).status).toBe(200);
  expect((await post('/-/oauth_revoke', { ...credentials, token: 'never-issued' })).status).toBe(200);
  expect((await me(second.body.access_token as string)).body.errors?.[0].message).toBe('Not Authorized');
  expect(await refresh()).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

test('/users/me: 401 for an unknown token, and the documented message for an expired one', async () => {
  expect(await me('nope')).toMatchObject({ status: 401, body: { errors: [{ message: 'Not Authorized' }] } });
  const tokens = (await exchange(await codeOf())).body;
  emulator.expireAccessToken(tokens.access_token as string);
  expect((await me(tokens.access_token as string)).body.errors?.[0].message).toMatch(/^The bearer token has expired/);
});
