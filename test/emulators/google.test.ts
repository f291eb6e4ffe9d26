/**
 * The Google emulator is as strict as Google documents (test/emulators/google.ts), over real HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startGoogleEmulator, type GoogleEmulator } from './google';

const client = {
  clientId: '1234-emulated.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-emulated-secret',
  redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete',
};

let emulator: GoogleEmulator;
beforeAll(async () => {
  emulator = await startGoogleEmulator({ client });
});
afterAll(() => emulator.close());

const at = (url: string): URL => emulator.server.resolve(new URL(url));
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function authorizeRaw(params: Record<string, string>): Promise<Response> {
  const url = new URL('https://accounts.google.com/o/oauth2/v2/auth');
  const all: Record<string, string> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid email profile',
    state: 'st-1',
    test_account: 'alice',
    test_decision: 'approve',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== '') url.searchParams.set(name, value);
  return fetch(at(url.href), { redirect: 'manual' });
}

/** Authorizes and returns the redirect's query. */
async function authorize(params: Record<string, string> = {}): Promise<URLSearchParams> {
  const res = await authorizeRaw(params);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  return location.searchParams;
}

async function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(at(url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const body = await res.text();
  return { status: res.status, body: (body ? JSON.parse(body) : {}) as Record<string, unknown> };
}

const token = (fields: Record<string, string>, headers?: Record<string, string>) =>
  post('https://oauth2.googleapis.com/token', { client_id: client.clientId, client_secret: client.clientSecret, ...fields }, headers);

async function userinfo(accessToken: string) {
  const res = await fetch(at('https://openidconnect.googleapis.com/v1/userinfo'), { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A code for offline access with consent, and its PKCE verifier. */
async function offlineCode(account = 'alice') {
  const { verifier, challenge } = pkce();
  const query = await authorize({ test_account: account, access_type: 'offline', prompt: 'consent', code_challenge: challenge, code_challenge_method: 'S256' });
  return { code: query.get('code') ?? '', verifier };
}

const exchange = (code: string, verifier: string) =>
  token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri });

describe('Google emulator', () => {
  it('exchanges a code, serves userinfo, and refreshes without rotating the refresh token', async () => {
    const { code, verifier } = await offlineCode();
    const tokens = await exchange(code, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3599,
      scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
    });
    expect(String(tokens.body.id_token).split('.')).toHaveLength(3);
    const refreshToken = String(tokens.body.refresh_token);

    const me = await userinfo(String(tokens.body.access_token));
    expect(me).toMatchObject({ status: 200, body: { email: 'alice@example.test', email_verified: true, name: 'Alice Example' } });

    for (let i = 0; i < 2; i += 1) {
      const renewed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(renewed.status).toBe(200);
      expect(renewed.body.refresh_token).toBeUndefined();
      expect((await userinfo(String(renewed.body.access_token))).status).toBe(200);
    }
  });

  it('gives a refresh token only with access_type=offline, and after the first consent only with prompt=consent', async () => {
    const exchangeFor = async (params: Record<string, string>) => {
      const { verifier, challenge } = pkce();
      const code = (await authorize({ test_account: 'bob', code_challenge: challenge, code_challenge_method: 'S256', ...params })).get('code') ?? '';
      return (await exchange(code, verifier)).body;
    };
    expect((await exchangeFor({})).refresh_token).toBeUndefined();
    expect((await exchangeFor({ access_type: 'offline' })).refresh_token).toEqual(expect.any(String));
    expect((await exchangeFor({ access_type: 'offline' })).refresh_token).toBeUndefined(); // bob granted offline access above
    expect((await exchangeFor({ access_type: 'offline', prompt: 'consent' })).refresh_token).toEqual(expect.any(String));
  });

  it('refuses Basic client authentication, a missing secret and a wrong one', async () => {
    const { code, verifier } = await offlineCode();
    const fields = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri };
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    expect(await post('https://oauth2.googleapis.com/token', fields, { authorization: basic })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(await post('https://oauth2.googleapis.com/token', { ...fields, client_id: client.clientId })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(await token({ ...fields, client_secret: 'wrong' })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Unauthorized' },
    });
  });

  it('refuses a missing or different redirect_uri, at the token endpoint and the authorization page', async () => {
    const { code, verifier } = await offlineCode();
    expect(await token({ grant_type: 'authorization_code', code, code_verifier: verifier })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://evil.test/cb' })).toMatchObject({
      status: 400,
      body: { error: 'redirect_uri_mismatch' },
    });
    const page = await authorizeRaw({ redirect_uri: 'https://evil.test/cb' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
  });

  it('refuses a wrong PKCE verifier and a replayed code', async () => {
    const wrong = await offlineCode();
    expect(await exchange(wrong.code, pkce().verifier)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
    });

    const { code, verifier } = await offlineCode();
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    expect(await exchange(code, verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } });
  });

  it('redirects a denial with access_denied', async () => {
    const query = await authorize({ test_decision: 'deny' });
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('st-1');
  });

  it('revokes the whole grant from either token, and then refuses both tokens', async () => {
    const { code, verifier } = await offlineCode();
    const { body } = await exchange(code, verifier);
    const access = String(body.access_token);
    const refresh = String(body.refresh_token);
    expect((await post('https://oauth2.googleapis.com/revoke', { token: refresh })).status).toBe(200);
    expect(await userinfo(access)).toMatchObject({ status: 401, body: { error: 'invalid_request', error_description: 'Invalid Credentials' } });
    expect(await token({ grant_type: 'refresh_token', refresh_token: refresh })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
    expect(await post('https://oauth2.googleapis.com/revoke', { token: access })).toMatchObject({ status: 400, body: { error: 'invalid_token' } });
  });

  it('forgets the consent when the user removes the app at their Google Account', async () => {
    const { code, verifier } = await offlineCode('bob');
    const refresh = String((await exchange(code, verifier)).body.refresh_token);
    emulator.removeAppAccess('bob');
    expect(await token({ grant_type: 'refresh_token', refresh_token: refresh })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const { verifier: v2, challenge } = pkce();
    const again =
      (await authorize({ test_account: 'bob', access_type: 'offline', code_challenge: challenge, code_challenge_method: 'S256' })).get('code') ?? '';
    expect((await exchange(again, v2)).body.refresh_token).toEqual(expect.any(String));
  });

  it('refuses an expired or unknown access token at userinfo', async () => {
    const { code, verifier } = await offlineCode();
    const access = String((await exchange(code, verifier)).body.access_token);
    emulator.expireAccessToken(access);
    expect((await userinfo(access)).status).toBe(401);
    expect((await userinfo('ya29.unknown')).status).toBe(401);
  });
});
