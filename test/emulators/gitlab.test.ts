/**
 * The GitLab emulator over real HTTP: a good code exchange works, and what GitLab (Doorkeeper)
 * refuses is refused.
 */
import { createHash, createPublicKey, createVerify, type JsonWebKey } from 'node:crypto';
import { startGitLabEmulator } from './gitlab';
import type { ProviderEmulator } from './kit';

const CLIENT = { clientId: 'gitlab-app-id', clientSecret: 'gloas-gitlab-app-secret', redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete' };
const VERIFIER = 'ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

let gitlab: ProviderEmulator;
beforeAll(async () => {
  gitlab = await startGitLabEmulator({ client: CLIENT });
});
afterAll(() => gitlab.close());

const at = (url: string) => gitlab.server.resolve(new URL(url)).toString();

async function authorize(extra: Record<string, string> = {}): Promise<URL> {
  const url = new URL('https://gitlab.com/oauth/authorize');
  const query = {
    client_id: CLIENT.clientId,
    redirect_uri: CLIENT.redirectUri,
    response_type: 'code',
    state: 'st',
    scope: 'read_user',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    test_account: 'alice',
    test_decision: 'approve',
    ...extra,
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(at(url.toString()), { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

async function code(extra: Record<string, string> = {}): Promise<string> {
  return (await authorize(extra)).searchParams.get('code')!;
}

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(at(`https://gitlab.com${path}`), { method: 'POST', headers: { accept: 'application/json', ...headers }, body: new URLSearchParams(fields) });
}

const secretInBody = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
const exchange = (codeValue: string, fields: Record<string, string> = {}) =>
  post('/oauth/token', {
    grant_type: 'authorization_code',
    code: codeValue,
    redirect_uri: CLIENT.redirectUri,
    code_verifier: VERIFIER,
    ...secretInBody,
    ...fields,
  });
const user = (token: string) => fetch(at('https://gitlab.com/api/v4/user'), { headers: { authorization: `Bearer ${token}` } });

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  created_at: number;
  token_type: string;
  scope: string;
  id_token?: string;
}

test('a good code exchange gives 2-hour tokens that read /api/v4/user', async () => {
  const response = await exchange(await code());
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as Tokens;
  expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 7200, scope: 'read_user' });
  expect(tokens.created_at).toBeGreaterThan(0);
  expect(tokens.id_token).toBeUndefined();
  const me = await user(tokens.access_token);
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ id: 1001, username: 'alice', name: 'Alice Example' });
  expect(gitlab.tokenCalls[gitlab.tokenCalls.length - 1]).toMatchObject({ grantType: 'authorization_code', clientAuth: 'client_secret_post', status: 200 });
});

test('client authentication: body or Basic (Doorkeeper takes both); wrong or none is invalid_client', async () => {
  const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
  expect((await exchange(await code(), { client_id: '', client_secret: '' })).status).toBe(401);
  expect(
    (
      await post(
        '/oauth/token',
        { grant_type: 'authorization_code', code: await code(), redirect_uri: CLIENT.redirectUri, code_verifier: VERIFIER },
        { authorization: basic },
      )
    ).status,
  ).toBe(200);
  const wrong = await exchange(await code(), { client_secret: 'not-the-secret' });
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_client"');
});

test('redirect_uri: required and the same at the exchange; an unregistered one gets an error page, no redirect', async () => {
  const missing = await exchange(await code(), { redirect_uri: '' });
  expect(missing.status).toBe(400);
  expect(await missing.json()).toMatchObject({ error: 'invalid_request', error_description: 'Missing required parameter: redirect_uri.' });
  const other = await exchange(await code(), { redirect_uri: 'https://chat.example.test/elsewhere' });
  expect(await other.json()).toMatchObject({ error: 'invalid_grant' });
  const page = await fetch(
    at(`https://gitlab.com/oauth/authorize?client_id=${CLIENT.clientId}&redirect_uri=https%3A%2F%2Fevil.test%2F&response_type=code&test_account=alice`),
    { redirect: 'manual' },
  );
  expect(page.status).toBe(400);
  expect(page.headers.get('location')).toBeNull();
});

test('PKCE: a wrong verifier is invalid_grant, a missing one invalid_request; a used code is refused', async () => {
  const value = await code();
  expect(await (await exchange(value, { code_verifier: 'x'.repeat(43) })).json()).toMatchObject({ error: 'invalid_grant' });
  expect(await (await exchange(value, { code_verifier: '' })).json()).toMatchObject({
    error: 'invalid_request',
    error_description: 'Missing required parameter: code_verifier.',
  });
  // A failed attempt does not spend the code (Doorkeeper revokes the grant on success only).
  expect((await exchange(value)).status).toBe(200);
  const replay = await exchange(value);
  expect(replay.status).toBe(400);
  expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
});

test('refresh (with redirect_uri, as documented) rotates both tokens; the old pair and the old refresh token are refused', async () => {
  const first = (await (await exchange(await code())).json()) as Tokens;
  const refreshed = await post('/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: first.refresh_token,
    redirect_uri: CLIENT.redirectUri,
    ...secretInBody,
  });
  expect(refreshed.status).toBe(200);
  const second = (await refreshed.json()) as Tokens;
  expect(second.refresh_token).not.toBe(first.refresh_token);
  const old = await user(first.access_token);
  expect(old.status).toBe(401);
  expect(await old.json()).toMatchObject({ error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' });
  const reuse = await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...secretInBody });
  expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
  expect(gitlab.isAlive(second.access_token) && gitlab.isAlive(second.refresh_token)).toBe(true);
});

test('the API refuses an expired token (invalid_token) and an unknown one (401 Unauthorized); an expired one still refreshes', async () => {
  const tokens = (await (await exchange(await code())).json()) as Tokens;
  gitlab.expireAccessToken(tokens.access_token);
  const expired = await user(tokens.access_token);
  expect(expired.status).toBe(401);
  expect(await expired.json()).toMatchObject({
    error: 'invalid_token',
    error_description: 'Token is expired. You can either do re-authorization or token refresh.',
  });
  expect(expired.headers.get('www-authenticate')).toContain('realm="The API"');
  const unknown = await user('0'.repeat(64));
  expect(unknown.status).toBe(401);
  expect(await unknown.json()).toEqual({ message: '401 Unauthorized' });
  expect((await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...secretInBody })).status).toBe(200);
});

test('revocation needs the client; revoking the refresh token kills its access token too', async () => {
  const tokens = (await (await exchange(await code())).json()) as Tokens;
  const anonymous = await post('/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token' });
  expect(anonymous.status).toBe(403);
  expect(await anonymous.json()).toMatchObject({ error: 'unauthorized_client' });
  const revoked = await post('/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token', ...secretInBody });
  expect(revoked.status).toBe(200);
  expect(await revoked.json()).toEqual({});
  expect((await user(tokens.access_token)).status).toBe(401);
  expect(gitlab.isAlive(tokens.refresh_token)).toBe(false);
  expect((await post('/oauth/revoke', { token: 'unknown', ...secretInBody })).status).toBe(200);
});

test('deny redirects back with access_denied and the state', async () => {
  const back = await authorize({ test_decision: 'deny' });
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('error_description')).toBe('The resource owner or authorization server denied the request.');
  expect(back.searchParams.get('state')).toBe('st');
});

test('a self-managed site, and an id_token only with openid', async () => {
  const managed = await startGitLabEmulator({ client: CLIENT, site: 'https://gitlab.example.com', accessTtlS: 5 });
  try {
    expect(managed.settings).toEqual({ site: 'https://gitlab.example.com' });
    const url = new URL('https://gitlab.example.com/oauth/authorize');
    const query = {
      client_id: CLIENT.clientId,
      redirect_uri: CLIENT.redirectUri,
      response_type: 'code',
      scope: 'openid read_user',
      nonce: 'n-1',
      test_account: 'bob',
    };
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const back = new URL((await fetch(managed.server.resolve(url), { redirect: 'manual' })).headers.get('location')!);
    const token = managed.server.resolve(new URL('https://gitlab.example.com/oauth/token'));
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: CLIENT.redirectUri,
      ...secretInBody,
    });
    const tokens = (await (await fetch(token, { method: 'POST', body })).json()) as Tokens;
    expect(tokens.expires_in).toBe(5);
    const [header, payload, signature] = tokens.id_token!.split('.');
    const { keys } = (await (await fetch(managed.server.resolve(new URL('https://gitlab.example.com/oauth/discovery/keys')))).json()) as { keys: JsonWebKey[] };
    const key = createPublicKey({ key: keys[0], format: 'jwk' });
    expect(createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(key, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      iss: 'https://gitlab.example.com',
      sub: '1002',
      aud: CLIENT.clientId,
      nonce: 'n-1',
    });
  } finally {
    await managed.close();
  }
});
