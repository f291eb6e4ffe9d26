/**
 * The Chatwork emulator over real HTTP: a good exchange works, and what Chatwork refuses is refused
 * (see the citations in chatwork.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { startChatworkEmulator } from './chatwork';
import type { ProviderEmulator } from './kit';

const client = { clientId: 'Lvo0YN92ga5kP', clientSecret: 'cw-secret', redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete' };
let emulator: ProviderEmulator;
let twoUris: ProviderEmulator;

beforeAll(async () => {
  emulator = await startChatworkEmulator({ client });
  twoUris = await startChatworkEmulator({ client, alsoRegistered: ['https://chat2.example.test/callback'] });
});
afterAll(async () => {
  await emulator.close();
  await twoUris.close();
});
afterEach(() => jest.restoreAllMocks());

const at = (url: string, on = emulator) => on.server.resolve(new URL(url)).toString();
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const basic = (secret = client.clientSecret) => `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;

async function authorize(overrides: Record<string, string | null> = {}, on = emulator) {
  const url = new URL('https://www.chatwork.com/packages/oauth2/login.php');
  const params: Record<string, string | null> = {
    // What the app adds for offline_access (OpenID Connect Core §11): not a Chatwork parameter, ignored.
    prompt: 'consent',
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'users.profile.me:read offline_access',
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    test_account: 'alice',
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

async function token(body: Record<string, string>, authorization: string | null = basic(), on = emulator) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(at('https://oauth.chatwork.com/token', on), { method: 'POST', headers, body: new URLSearchParams(body).toString() });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier, ...extra });

async function me(accessToken: string) {
  const response = await fetch(at('https://api.chatwork.com/v2/me'), { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
}

test('a Basic-authenticated exchange with PKCE gives tokens; an unknown prompt parameter is ignored; /v2/me answers', async () => {
  const { status, location } = await authorize();
  expect(status).toBe(302);
  expect(location?.searchParams.get('state')).toBe('st-1');
  const answer = await exchange(location!.searchParams.get('code')!);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'users.profile.me:read offline_access' });
  expect(typeof answer.body.refresh_token).toBe('string');
  expect(await me(answer.body.access_token as string)).toMatchObject({ status: 200, body: { account_id: 1001, name: 'Alice Example', chatwork_id: 'alice' } });
  expect(emulator.tokenCalls.at(-1)).toMatchObject({ clientAuth: 'client_secret_basic', status: 200 });
});

test('the consent page shows Appendix B errors, and a denial redirects with access_denied', async () => {
  expect((await authorize({ scope: 'users.profile.me:read rooms.everything' })).text).toMatch(/5002/);
  expect((await authorize({ scope: null })).text).toMatch(/5001/);
  expect((await authorize({ code_challenge_method: 'plain' })).text).toMatch(/18000/);
  expect((await authorize({ redirect_uri: 'https://evil.example.test/cb' })).text).toMatch(/15000/);
  expect((await authorize({ redirect_uri: null }, twoUris)).text).toMatch(/13000/);
  const denied = await authorize({ test_decision: 'deny' });
  expect(denied.location?.searchParams.get('error')).toBe('access_denied');
  expect(denied.location?.searchParams.get('state')).toBe('st-1');
});

test('the token endpoint refuses body credentials, a wrong secret, a different redirect_uri, a bad verifier, a replayed or stale code', async () => {
  const inBody = await token(
    {
      grant_type: 'authorization_code',
      code: await codeOf(),
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
      client_id: client.clientId,
      client_secret: client.clientSecret,
    },
    null,
  );
  expect(inBody).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  const both = await token({
    grant_type: 'authorization_code',
    code: await codeOf(),
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
    client_secret: client.clientSecret,
  });
  expect(both.status).toBe(401);
  expect(
    (await token({ grant_type: 'authorization_code', code: await codeOf(), redirect_uri: client.redirectUri, code_verifier: verifier }, basic('wrong'))).status,
  ).toBe(401);

  expect(await exchange(await codeOf(), { redirect_uri: 'https://other.example.test/cb' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchange(await codeOf(), { code_verifier: randomBytes(32).toString('base64url') })).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
  expect(await exchange(await codeOf(), { code_verifier: 'short' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });

  const code = await codeOf();
  expect((await exchange(code)).status).toBe(200);
  expect(await exchange(code)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_uri: null } });

  const stale = await codeOf();
  const now = Date.now();
  jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
  expect(await exchange(stale)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

test('redirect_uri at the token endpoint: optional with one registered URI, required with several', async () => {
  expect((await token({ grant_type: 'authorization_code', code: await codeOf(), code_verifier: verifier })).status).toBe(200);
  const code = await codeOf({}, twoUris);
  expect(await token({ grant_type: 'authorization_code', code, code_verifier: verifier }, basic(), twoUris)).toMatchObject({
    status: 400,
    body: { error: 'invalid_request' },
  });
});

test('refresh answers carry the same refresh token; without offline_access it dies after 14 days', async () => {
  const lasting = (await exchange(await codeOf())).body;
  const again = await token({ grant_type: 'refresh_token', refresh_token: lasting.refresh_token as string });
  expect(again.status).toBe(200);
  expect(again.body.refresh_token).toBe(lasting.refresh_token);
  expect((await me(again.body.access_token as string)).status).toBe(200);
  expect((await token({ grant_type: 'refresh_token', refresh_token: lasting.refresh_token as string, scope: 'rooms.all:read_write' })).body.error).toBe(
    'invalid_scope',
  );
  expect(
    (
      await token(
        { grant_type: 'refresh_token', refresh_token: lasting.refresh_token as string, client_id: client.clientId, client_secret: client.clientSecret },
        null,
      )
    ).status,
  ).toBe(401);

  const online = (await exchange(await codeOf({ scope: 'users.profile.me:read' }))).body;
  const now = Date.now();
  jest.spyOn(Date, 'now').mockReturnValue(now + 15 * 24 * 3600_000);
  expect(await token({ grant_type: 'refresh_token', refresh_token: online.refresh_token as string })).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
  expect((await token({ grant_type: 'refresh_token', refresh_token: lasting.refresh_token as string })).status).toBe(200);
});

test('/v2/me refuses unknown and expired tokens with 401 and WWW-Authenticate, a token without the scope with 403', async () => {
  const unknown = await me('nope');
  expect(unknown).toMatchObject({ status: 401, body: { errors: ['Invalid API token'] } });
  expect(unknown.challenge).toMatch(/error="invalid_token"/);
  const tokens = (await exchange(await codeOf())).body;
  emulator.expireAccessToken(tokens.access_token as string);
  expect((await me(tokens.access_token as string)).status).toBe(401);
  const noProfile = (await exchange(await codeOf({ scope: 'rooms.all:read' }))).body;
  expect((await me(noProfile.access_token as string)).status).toBe(403);
});
