/**
 * A plain RFC 6749 server whose access tokens carry no `expires_in` but come with a refresh token:
 * RFC 6749 §5.1 makes `expires_in` only RECOMMENDED, and such tokens are used until the API says 401
 * (RFC 6750 §3.1 `invalid_token`). It stands behind the "Custom OAuth 2.0" preset, configured the
 * way an admin would in the advanced JSON.
 * - [rfc6749] https://www.rfc-editor.org/rfc/rfc6749 (§4.1 code grant, §5.1/§5.2 answers, §6 refresh)
 * - [rfc6750] https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (401 with WWW-Authenticate)
 * - [rfc7009] https://www.rfc-editor.org/rfc/rfc7009 (revocation)
 * - [rfc7636] https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 */
import {
  lifecycleOf,
  tokenCallOf,
  EmulatorServer,
  GrantBook,
  bearerOf,
  clientAuthOf,
  consentOf,
  formOf,
  isRefusal,
  json,
  recordTokenCall,
  redirectBack,
  text,
  type EmulatorAnswer,
  type EmulatorOptions,
  type IssuePolicy,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

const HOST = 'oauth.example.com';
const BASE = `https://${HOST}`;

export async function startPlainOAuth2Emulator(options: EmulatorOptions): Promise<ProviderEmulator> {
  const { client } = options;
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // No accessTtlS: no expires_in. Refresh tokens rotate, and a replayed one kills the grant (RFC 9700 §4.14.2).
  const policy: IssuePolicy = { refresh: true };
  const error = (status: number, code: string, description: string): EmulatorAnswer => json(status, { error: code, error_description: description });

  // [rfc6749] §4.1.1 authorization request; [rfc7636] §4.3 the challenge.
  server.on(HOST, 'GET', '/authorize', (req) => {
    const q = req.query;
    if (q.get('client_id') !== client.clientId || q.get('redirect_uri') !== client.redirectUri) return text(400, 'unknown client or redirect_uri');
    if (q.get('response_type') !== 'code') return redirectBack(client.redirectUri, { error: 'unsupported_response_type', state: q.get('state') ?? undefined });
    const challenge = q.get('code_challenge');
    if (!challenge || q.get('code_challenge_method') !== 'S256')
      return redirectBack(client.redirectUri, { error: 'invalid_request', error_description: 'PKCE S256 required', state: q.get('state') ?? undefined });
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Sign in</title>', 'text/html');
    if (!consent.approved) return redirectBack(client.redirectUri, { error: 'access_denied', state: q.get('state') ?? undefined });
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      redirectUri: client.redirectUri,
      challenge: { value: challenge, method: 'S256' },
    });
    return redirectBack(client.redirectUri, { code, state: q.get('state') ?? undefined });
  });

  // [rfc6749] §4.1.3 and §6, client_secret_basic only (§2.3.1: the method every server supports).
  server.on(HOST, 'POST', '/token', (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    const answer = (): EmulatorAnswer => {
      if (!params) return error(400, 'invalid_request', 'form body required');
      if (auth.method !== 'client_secret_basic' || auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret) {
        return {
          ...error(401, 'invalid_client', 'client authentication failed'),
          headers: { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="oauth"' },
        };
      }
      const grantType = params.get('grant_type');
      if (grantType === 'authorization_code') {
        const issued = grants.redeemCode(params.get('code') ?? undefined, {
          clientId: auth.clientId,
          redirectUri: params.get('redirect_uri') ?? undefined,
          verifier: params.get('code_verifier') ?? undefined,
          redirectUriRequired: true,
        });
        if (isRefusal(issued)) return error(400, issued.error, issued.reason);
        // [rfc6749] §4.1.3: redirect_uri REQUIRED when the authorization request had it.
        if (params.get('redirect_uri') !== client.redirectUri) return error(400, 'invalid_grant', 'redirect_uri missing or different');
        const tokens = grants.issueTokens(issued.grant, policy, issued);
        return json(200, { access_token: tokens.accessToken, token_type: 'Bearer', refresh_token: tokens.refreshToken, scope: tokens.scopes.join(' ') });
      }
      if (grantType === 'refresh_token') {
        const renewed = grants.refresh(params.get('refresh_token') ?? undefined, {
          clientId: auth.clientId,
          rotate: true,
          reuse: 'revoke-grant',
          policy,
          retireAccessTokens: true,
        });
        if (isRefusal(renewed)) return error(400, renewed.error, renewed.reason);
        return json(200, { access_token: renewed.accessToken, token_type: 'Bearer', refresh_token: renewed.refreshToken, scope: renewed.scopes.join(' ') });
      }
      return error(400, 'unsupported_grant_type', 'authorization_code or refresh_token');
    };
    return recordTokenCall(tokenCalls, call, answer());
  });

  // [rfc7009] §2.1: client authentication as at the token endpoint; §2.2: 200 whatever the token.
  server.on(HOST, 'POST', '/revoke', (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    if (auth.method !== 'client_secret_basic' || auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret)
      return error(401, 'invalid_client', 'client authentication failed');
    const token = params?.get('token');
    if (token) grants.revokeGrantOf(token);
    return { status: 200, body: '' };
  });

  // [rfc6750] §3.1: an expired or revoked token gets 401 invalid_token.
  server.on('api.example.com', 'GET', '/me', (req) => {
    const record = grants.liveAccessToken(bearerOf(req));
    if (!record) return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
    return json(200, { id: record.grant.account.id, login: record.grant.account.login, name: record.grant.account.name });
  });

  return {
    preset: 'custom',
    docs: ['https://www.rfc-editor.org/rfc/rfc6749#section-5.1', 'https://www.rfc-editor.org/rfc/rfc6750#section-3.1'],
    server,
    settings: {
      advanced: JSON.stringify({
        displayName: 'Example API',
        endpoints: { authorization: `${BASE}/authorize`, token: `${BASE}/token`, revocation: `${BASE}/revoke` },
        profile: { url: 'https://api.example.com/me', accountNamePath: 'login' },
      }),
      scopes: 'read',
    },
    behaviour: { refreshes: true, expires: false, revocation: true },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}
