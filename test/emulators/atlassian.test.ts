/**
 * The Atlassian emulator over real HTTP: a good 3LO exchange works, and what Atlassian refuses is
 * refused (see the citations in atlassian.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { startAtlassianEmulator } from './atlassian';
import type { ProviderEmulator } from './kit';

const client = { clientId: 'atl-client', clientSecret: 'atl-secret', redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete' };
let emulator: ProviderEmulator;

beforeAll(async () => {
  emulator = await startAtlassianEmulator({ client });
});
afterAll(() => emulator.close());

const at = (url: string) => emulator.server.resolve(new URL(url)).toString();

async function authorize(overrides: Record<string, string | null> = {}): Promise<{ status: number; location?: URL }> {
  const url = new URL('https://auth.atlassian.com/authorize');
  const params: Record<string, string | null> = {
    audience: 'api.atlassian.com',
    prompt: 'consent',
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'read:me offline_access',
    state: 'st-1',
    // What the app sends by default: PKCE is not documented for 3LO, and ignored.
    code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    code_challenge_method: 'S256',
    test_account: 'alice',
    test_decision: 'approve',
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  const response = await fetch(at(url.toString()), { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : undefined };
}

async function codeOf(overrides: Record<string, string | null> = {}): Promise<string> {
  const { location } = await authorize(overrides);
  const code = location?.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  return code;
}

async function token(body: Record<string, string>, init: { form?: boolean; headers?: Record<string, string> } = {}) {
  const response = await fetch(at('https://auth.atlassian.com/oauth/token'), {
    method: 'POST',
    headers: { 'content-type': init.form ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json', ...init.headers },
    body: init.form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: client.redirectUri, ...extra });

const refresh = (refreshToken: string) =>
  token({ grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: refreshToken });

async function me(accessToken: string) {
  const response = await fetch(at('https://api.atlassian.com/me'), { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a JSON code exchange gives a 1-hour token, a refresh token for offline_access, and /me answers', async () => {
  const { status, location } = await authorize();
  expect(status).toBe(302);
  expect(location?.searchParams.get('state')).toBe('st-1');
  const answer = await exchange(location!.searchParams.get('code')!, { code_verifier: 'ignored-by-atlassian' });
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ expires_in: 3600, token_type: 'Bearer', scope: 'read:me offline_access' });
  expect(typeof answer.body.refresh_token).toBe('string');
  const profile = await me(answer.body.access_token as string);
  expect(profile.status).toBe(200);
  expect(profile.body).toMatchObject({ email: 'alice@example.test', name: 'Alice Example' });
  expect(emulator.tokenCalls.at(-1)).toMatchObject({ grantType: 'authorization_code', clientAuth: 'client_secret_post', status: 200 });
});

test('a form-encoded exchange (what Atlassian’s own passport client sends) works too; no offline_access, no refresh token', async () => {
  const answer = await token(
    {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code: await codeOf({ scope: 'read:me' }),
      redirect_uri: client.redirectUri,
    },
    { form: true },
  );
  expect(answer.status).toBe(200);
  expect(answer.body.refresh_token).toBeUndefined();
});

test('the authorization page refuses a foreign audience, a missing prompt=consent, unknown scopes and a foreign redirect_uri', async () => {
  expect((await authorize({ audience: 'api.example.test' })).location?.searchParams.get('error')).toBe('access_denied');
  expect((await authorize({ audience: null })).location?.searchParams.get('code')).toBeTruthy();
  expect((await authorize({ prompt: null })).location?.searchParams.get('error')).toBe('invalid_request');
  expect((await authorize({ scope: 'read:me admin:everything' })).location?.searchParams.get('error')).toBe('invalid_scope');
  const foreign = await authorize({ redirect_uri: 'https://evil.example.test/cb' });
  expect(foreign.status).toBe(400);
  expect(foreign.location).toBeUndefined();
  const denied = await authorize({ test_decision: 'deny' });
  expect(denied.location?.searchParams.get('error')).toBe('access_denied');
  expect(denied.location?.searchParams.get('state')).toBe('st-1');
});

test('the token endpoint refuses HTTP Basic, a wrong secret, a missing or different redirect_uri, and a replayed code', async () => {
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  const viaBasic = await token(
    { grant_type: 'authorization_code', code: await codeOf(), redirect_uri: client.redirectUri },
    { headers: { authorization: basic } },
  );
  expect(viaBasic).toEqual({ status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } });
  expect((await exchange(await codeOf(), { client_secret: 'wrong' })).status).toBe(401);

  const missing = await token({ grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code: await codeOf() });
  expect(missing).toMatchObject({ status: 403, body: { error: 'invalid_grant' } });
  expect(await exchange(await codeOf(), { redirect_uri: 'https://other.example.test/cb' })).toMatchObject({ status: 403, body: { error: 'invalid_grant' } });

  const code = await codeOf();
  const first = await exchange(code);
  expect(first.status).toBe(200);
  expect(await exchange(code)).toMatchObject({ status: 403, body: { error: 'invalid_grant' } });
  // RFC 6749 §4.1.2: what the replayed code issued is revoked.
  expect((await me(first.body.access_token as string)).status).toBe(401);
});

test('refresh tokens rotate: the old pair dies, and reusing the old refresh token kills the whole family', async () => {
  const first = (await exchange(await codeOf())).body;
  const second = await refresh(first.refresh_token as string);
  expect(second.status).toBe(200);
  expect(second.body.refresh_token).not.toBe(first.refresh_token);
  expect((await me(first.access_token as string)).status).toBe(401);
  expect((await me(second.body.access_token as string)).status).toBe(200);

  expect(await refresh(first.refresh_token as string)).toEqual({
    status: 403,
    body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' },
  });
  expect((await refresh(second.body.refresh_token as string)).status).toBe(403);
  expect((await me(second.body.access_token as string)).status).toBe(401);
});

test('/me refuses unknown, expired and scope-less tokens with 401', async () => {
  expect(await me('not-a-token')).toEqual({ status: 401, body: { code: 401, message: 'Unauthorized' } });
  const tokens = (await exchange(await codeOf())).body;
  emulator.expireAccessToken(tokens.access_token as string);
  expect((await me(tokens.access_token as string)).status).toBe(401);
  expect(emulator.isAlive(tokens.refresh_token as string)).toBe(true);
  const noReadMe = (await exchange(await codeOf({ scope: 'read:jira-work' }))).body;
  expect((await me(noReadMe.access_token as string)).body.message).toBe('Unauthorized; scope does not match');
});
