/**
 * The Microsoft Entra ID emulator is as strict as Entra documents (test/emulators/microsoft.ts), over real HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startMicrosoftEmulator, type MicrosoftEmulator } from './microsoft';

const client = {
  clientId: '00001111-aaaa-2222-bbbb-3333cccc4444',
  clientSecret: 'emulated~secret.value',
  redirectUri: 'https://chat.example.test/api/apps/public/oauth/complete',
};
const TENANT = 'contoso.onmicrosoft.com';
const SCOPE = 'openid profile email offline_access User.Read';

let emulator: MicrosoftEmulator;
let adminConsented: MicrosoftEmulator;
beforeAll(async () => {
  [emulator, adminConsented] = await Promise.all([
    startMicrosoftEmulator({ client, tenant: TENANT }),
    startMicrosoftEmulator({ client, tenant: TENANT, consentPolicy: 'admin-consented' }),
  ]);
});
afterAll(() => Promise.all([emulator.close(), adminConsented.close()]));

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function authorizeRaw(params: Record<string, string> = {}, tenant = TENANT, target = emulator): Promise<Response> {
  const url = new URL(`https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`);
  const all: Record<string, string> = {
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: SCOPE,
    state: 'st-1',
    test_account: 'alice',
    test_decision: 'approve',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== '') url.searchParams.set(name, value);
  return fetch(target.server.resolve(url), { redirect: 'manual' });
}

async function authorize(params: Record<string, string> = {}): Promise<URLSearchParams> {
  const res = await authorizeRaw(params);
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '').searchParams;
}

async function token(fields: Record<string, string>, opts: { tenant?: string; headers?: Record<string, string>; secretInBody?: boolean } = {}) {
  const body = new URLSearchParams({ client_id: client.clientId, ...(opts.secretInBody === false ? {} : { client_secret: client.clientSecret }), ...fields });
  const url = emulator.server.resolve(new URL(`https://login.microsoftonline.com/${opts.tenant ?? TENANT}/oauth2/v2.0/token`));
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...opts.headers },
    body: body.toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function me(accessToken: string) {
  const res = await fetch(emulator.server.resolve(new URL('https://graph.microsoft.com/v1.0/me')), { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function codeWithPkce(params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const code = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256', ...params })).get('code') ?? '';
  return { code, verifier };
}

const redeem = (code: string, verifier: string, extra: Record<string, string> = {}, opts?: Parameters<typeof token>[1]) =>
  token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri, ...extra }, opts);

const aadsts = (body: Record<string, unknown>) => (body.error_codes as number[] | undefined)?.[0];

describe('Microsoft Entra ID emulator', () => {
  it('redeems a code, serves Graph /me, and issues a new refresh token on every refresh while the old one still works', async () => {
    const { code, verifier } = await codeWithPkce();
    const tokens = await redeem(code, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: 'User.Read' });
    expect(String(tokens.body.id_token).split('.')).toHaveLength(3);
    expect(await me(String(tokens.body.access_token))).toMatchObject({
      status: 200,
      body: { userPrincipalName: `alice@${TENANT}`, displayName: 'Alice Example' },
    });

    const first = String(tokens.body.refresh_token);
    const renewed = await token({ grant_type: 'refresh_token', refresh_token: first });
    expect(renewed.status).toBe(200);
    expect(renewed.body.refresh_token).toEqual(expect.any(String));
    expect(renewed.body.refresh_token).not.toBe(first);
    // Entra does not revoke the refresh token it replaced.
    expect((await token({ grant_type: 'refresh_token', refresh_token: first })).status).toBe(200);
  });

  it('gives a refresh token only for offline_access and an id_token only for openid', async () => {
    const { code, verifier } = await codeWithPkce({ scope: 'User.Read' });
    const { body } = await redeem(code, verifier);
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
  });

  it('refuses another tenant in the path, at the authorization page and the token endpoint', async () => {
    const page = await authorizeRaw({}, 'fabrikam.onmicrosoft.com');
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('AADSTS90002');
    expect((await authorizeRaw({}, 'common')).status).toBe(400);
    const { code, verifier } = await codeWithPkce();
    const common = await redeem(code, verifier, {}, { tenant: 'common' });
    expect(common.status).toBe(400);
    expect(aadsts(common.body)).toBe(50194);
  });

  it('accepts the secret in the body or as Basic, and refuses none, both at once, or a wrong one', async () => {
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const viaBasic = await codeWithPkce();
    expect((await redeem(viaBasic.code, viaBasic.verifier, {}, { secretInBody: false, headers: { authorization: basic } })).status).toBe(200);

    const { code, verifier } = await codeWithPkce();
    const none = await redeem(code, verifier, {}, { secretInBody: false });
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(aadsts(none.body)).toBe(7000218);
    expect((await redeem(code, verifier, {}, { headers: { authorization: basic } })).status).toBe(400);
    const wrong = await redeem(code, verifier, { client_secret: 'wrong' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(aadsts(wrong.body)).toBe(7000215);
  });

  it('refuses a missing or different redirect_uri', async () => {
    const { code, verifier } = await codeWithPkce();
    const absent = await token({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(aadsts(absent.body)).toBe(900144);
    const other = await redeem(code, verifier, { redirect_uri: 'https://evil.test/cb' });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(aadsts(other.body)).toBe(50011);
    const page = await authorizeRaw({ redirect_uri: 'https://evil.test/cb' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
  });

  it('refuses a wrong PKCE verifier and a replayed code', async () => {
    const wrong = await codeWithPkce();
    const mismatch = await redeem(wrong.code, pkce().verifier);
    expect(mismatch).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(aadsts(mismatch.body)).toBe(501481);

    const { code, verifier } = await codeWithPkce();
    expect((await redeem(code, verifier)).status).toBe(200);
    const replay = await redeem(code, verifier);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(aadsts(replay.body)).toBe(54005);
  });

  it('refuses a refresh token whose sessions were revoked, and an expired or unknown token at Graph', async () => {
    const { code, verifier } = await codeWithPkce({ test_account: 'bob' });
    const { body } = await redeem(code, verifier);
    const access = String(body.access_token);
    emulator.revokeSignInSessions('bob');
    const refused = await token({ grant_type: 'refresh_token', refresh_token: String(body.refresh_token) });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(aadsts(refused.body)).toBe(50173);

    emulator.expireAccessToken(access);
    expect(await me(access)).toMatchObject({ status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } });
    expect((await me('not-a-token')).status).toBe(401);
  });

  it('redirects a denial with access_denied', async () => {
    const query = await authorize({ test_decision: 'deny' });
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('st-1');
  });

  it('with admin consent only, signs the user in without prompt=consent and stops at "Need admin approval" with it', async () => {
    expect((await authorizeRaw({}, TENANT, adminConsented)).status).toBe(302);
    const forced = await authorizeRaw({ prompt: 'consent' }, TENANT, adminConsented);
    expect(forced.status).toBe(200);
    expect(await forced.text()).toContain('AADSTS90094');
  });
});
