/**
 * Smoke test of the test authorization servers themselves, with plain fetch (no client library):
 * code flow + PKCE S256, userinfo, introspection, revocation, auth-method mismatch, deny.
 */
import { createHash, randomBytes } from 'node:crypto';

import { startNodeOAuth2Server, startOidcProvider, type TestAuthServer, type TestClientCredentials } from '../support/auth-servers';
import { authorizeAs } from '../support/user-agent';
import { postWithClientAuth } from '../servers/node-oauth2-server';

const REDIRECT_URI = 'http://127.0.0.1:1/callback';
const BASIC: TestClientCredentials = { clientId: 'basic-client', clientSecret: 'basic-secret', authMethod: 'client_secret_basic' };
const POST: TestClientCredentials = { clientId: 'post-client', clientSecret: 'post-secret', authMethod: 'client_secret_post' };

const factories: Array<[string, () => Promise<TestAuthServer>]> = [
  [
    'oidc-provider',
    () =>
      startOidcProvider({
        scopes: ['chat:read'],
        clients: [BASIC, POST].map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          token_endpoint_auth_method: c.authMethod as 'client_secret_basic' | 'client_secret_post',
          redirect_uris: [REDIRECT_URI],
        })),
      }),
  ],
  [
    'node-oauth2-server',
    () =>
      startNodeOAuth2Server({
        clients: [BASIC, POST].map((c) => ({
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          authMethod: c.authMethod as 'client_secret_basic' | 'client_secret_post',
          redirectUris: [REDIRECT_URI],
        })),
      }),
  ],
];

describe.each(factories)('%s', (_name, start) => {
  let server: TestAuthServer;

  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function authorize(client: TestClientCredentials, decision: 'approve' | 'deny' = 'approve') {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(server.endpoints.authorization);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access chat:read',
      state: 'state-123',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await authorizeAs(url.href, { account: 'alice', decision, redirectUriPrefix: REDIRECT_URI });
    return { callback, verifier };
  }

  const exchange = (client: TestClientCredentials, code: string, verifier: string) =>
    postWithClientAuth(server.endpoints.token, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, client);

  it('runs a full code flow with PKCE S256: tokens, userinfo, introspection, revocation', async () => {
    const { callback, verifier } = await authorize(BASIC);
    expect(callback.searchParams.get('state')).toBe('state-123');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const tokenRes = await exchange(BASIC, code as string, verifier);
    const tokens = (await tokenRes.json()) as Record<string, unknown>;
    expect(tokenRes.status).toBe(200);
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(String(tokens.scope).split(' ')).toContain('chat:read');
    const accessToken = tokens.access_token as string;
    const refreshToken = tokens.refresh_token as string;

    const userinfo = await fetch(server.endpoints.userinfo, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: 'alice', name: 'Alice Example', preferred_username: 'alice' });

    expect(await server.introspect(accessToken, BASIC)).toMatchObject({ active: true, client_id: BASIC.clientId, sub: 'alice' });
    expect((await server.introspect(refreshToken, BASIC)).active).toBe(true);

    const revoke = await postWithClientAuth(server.endpoints.revocation, { token: refreshToken, token_type_hint: 'refresh_token' }, BASIC);
    expect(revoke.status).toBe(200);
    await revoke.arrayBuffer();
    expect((await server.introspect(refreshToken, BASIC)).active).toBe(false);
    expect((await server.introspect(accessToken, BASIC)).active).toBe(false);

    const after = await fetch(server.endpoints.userinfo, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(after.status).toBe(401);
    await after.arrayBuffer();

    const exchanges = (await server.tokenRequests()).filter((r) => r.route === 'token');
    expect(exchanges).toEqual([
      expect.objectContaining({ authMethod: 'client_secret_basic', clientId: BASIC.clientId, grantType: 'authorization_code', status: 200 }),
    ]);
  });

  it('answers 401 invalid_client when a client_secret_post client sends Basic', async () => {
    const { callback, verifier } = await authorize(POST);
    const res = await exchange({ ...POST, authMethod: 'client_secret_basic' }, callback.searchParams.get('code') as string, verifier);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: 'invalid_client',
      error_description: 'client authentication method mismatch: used client_secret_basic, registered client_secret_post',
    });
    const last = (await server.tokenRequests()).pop();
    expect(last).toMatchObject({ route: 'token', authMethod: 'client_secret_basic', clientId: POST.clientId, status: 401 });

    // The code was not consumed by the rejected request: the right method still works.
    const ok = await exchange(POST, callback.searchParams.get('code') as string, verifier);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it('redirects with error=access_denied when the user denies', async () => {
    const { callback } = await authorize(BASIC, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.get('code')).toBeNull();
  });
});
