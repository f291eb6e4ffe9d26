/**
 * The Redmine / Planio emulator over real HTTP: a good code exchange works, and what Redmine's
 * Doorkeeper refuses is refused.
 */
import { createHash } from 'node:crypto';
import type { ProviderEmulator } from './kit';
import { startRedmineEmulator } from './redmine';

const SITE = 'https://redmine.example.com';
const CLIENT = { clientId: 'redmine-app-uid', clientSecret: 'redmine-app-secret', redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete' };
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const BASIC = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;

let redmine: ProviderEmulator;
beforeAll(async () => {
  redmine = await startRedmineEmulator({ client: CLIENT, site: SITE });
});
afterAll(() => redmine.close());

const at = (path: string) => redmine.server.resolve(new URL(`${SITE}${path}`)).toString();

async function authorize(extra: Record<string, string> = {}): Promise<URL> {
  const query = new URLSearchParams({
    client_id: CLIENT.clientId,
    redirect_uri: CLIENT.redirectUri,
    response_type: 'code',
    state: 'st',
    scope: 'view_issues',
    code_challenge: createHash('sha256').update(VERIFIER).digest('base64url'),
    code_challenge_method: 'S256',
    test_account: 'alice',
    test_decision: 'approve',
    ...extra,
  });
  const response = await fetch(at(`/oauth/authorize?${query}`), { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

const code = async () => (await authorize()).searchParams.get('code')!;
const post = (path: string, fields: Record<string, string>, authorization: string | undefined = BASIC) =>
  fetch(at(path), { method: 'POST', headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) }, body: new URLSearchParams(fields) });
const exchange = (codeValue: string, fields: Record<string, string> = {}, authorization?: string) =>
  post(
    '/oauth/token',
    { grant_type: 'authorization_code', code: codeValue, redirect_uri: CLIENT.redirectUri, code_verifier: VERIFIER, ...fields },
    authorization,
  );
const refresh = (token: string) => post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token });
const me = (token: string) => fetch(at('/users/current.json'), { headers: { authorization: `Bearer ${token}` } });

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

test('a good code exchange (Basic client auth) gives 2-hour tokens that read /users/current.json', async () => {
  const response = await exchange(await code());
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as Tokens;
  expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 7200, scope: 'view_issues' });
  const user = await me(tokens.access_token);
  expect(user.status).toBe(200);
  expect(await user.json()).toMatchObject({ user: { id: 1001, login: 'alice', firstname: 'Alice', lastname: 'Example', mail: 'alice@example.test' } });
  expect(redmine.settings).toEqual({ site: SITE });
});

test('client authentication: Basic or body params; wrong or missing is invalid_client', async () => {
  expect((await exchange(await code(), { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }, '')).status).toBe(200);
  const wrong = await exchange(await code(), {}, `Basic ${Buffer.from(`${CLIENT.clientId}:nope`).toString('base64')}`);
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  expect(wrong.headers.get('www-authenticate')).toContain('realm="Redmine"');
  expect((await exchange(await code(), {}, '')).status).toBe(401);
});

test('redirect_uri and PKCE: missing or different redirect_uri, wrong verifier, replayed code', async () => {
  const value = await code();
  expect(await (await exchange(value, { redirect_uri: '' }, BASIC)).json()).toMatchObject({ error: 'invalid_request' });
  expect(await (await exchange(value, { redirect_uri: `${CLIENT.redirectUri}/other` }, BASIC)).json()).toMatchObject({ error: 'invalid_grant' });
  expect(await (await exchange(value, { code_verifier: 'A'.repeat(43) }, BASIC)).json()).toMatchObject({ error: 'invalid_grant' });
  expect((await exchange(value, {}, BASIC)).status).toBe(200);
  expect(await (await exchange(value, {}, BASIC)).json()).toMatchObject({ error: 'invalid_grant' });
  // An unknown scope is an error page at Redmine, not a redirect.
  const page = await fetch(
    at(
      `/oauth/authorize?client_id=${CLIENT.clientId}&redirect_uri=${encodeURIComponent(CLIENT.redirectUri)}&response_type=code&scope=no_such_permission&test_account=alice`,
    ),
    { redirect: 'manual' },
  );
  expect(page.status).toBe(400);
});

test('refresh rotates: the old pair dies once the new access token is used; then the old refresh token is invalid_grant', async () => {
  const first = (await (await exchange(await code(), {}, BASIC)).json()) as Tokens;
  const second = (await (await refresh(first.refresh_token)).json()) as Tokens;
  expect(second.refresh_token).not.toBe(first.refresh_token);
  expect(redmine.isAlive(first.refresh_token)).toBe(true);
  expect((await me(second.access_token)).status).toBe(200);
  const reuse = await refresh(first.refresh_token);
  expect(reuse.status).toBe(400);
  expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
  const old = await me(first.access_token);
  expect(old.status).toBe(401);
  expect(old.headers.get('www-authenticate')).toBe('Bearer realm="Redmine", error="invalid_token", error_description="The access token was revoked"');
});

test('the API refuses an expired token and an unknown one; revocation needs the client and kills the pair', async () => {
  const tokens = (await (await exchange(await code(), {}, BASIC)).json()) as Tokens;
  const unknown = await me('unknown-token');
  expect(unknown.status).toBe(401);
  expect(unknown.headers.get('www-authenticate')).toBe('Basic realm="Redmine API"');
  expect((await post('/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }, '')).status).toBe(403);
  expect((await post('/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token' })).status).toBe(200);
  expect((await me(tokens.access_token)).headers.get('www-authenticate')).toContain('The access token was revoked');

  const other = (await (await exchange(await code(), {}, BASIC)).json()) as Tokens;
  redmine.expireAccessToken(other.access_token);
  expect((await me(other.access_token)).headers.get('www-authenticate')).toContain('The access token expired');
  expect((await refresh(other.refresh_token)).status).toBe(200);
});

test('deny redirects back with access_denied', async () => {
  const back = await authorize({ test_decision: 'deny' });
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('state')).toBe('st');
});
