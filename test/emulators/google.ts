/**
 * Google, emulated from its documentation:
 * - [web-server] https://developers.google.com/identity/protocols/oauth2/web-server
 *   ([authorize] #creatingclient, [errors-authorize] #authorization-errors, [exchange] #exchange-authorization-code,
 *   [offline] #offline, [revoke] #tokenrevoke)
 * - [oidc] https://developers.google.com/identity/openid-connect/openid-connect (#exchangecode, #obtainuserinfo)
 * - [discovery] https://developers.google.com/identity/openid-connect/reference#discovery-document
 *   (https://accounts.google.com/.well-known/openid-configuration: the token, revocation and userinfo endpoints)
 * - [scopes] https://developers.google.com/identity/protocols/oauth2/scopes
 * - [connections] https://support.google.com/accounts/answer/13533235 (where a user removes an app's access)
 *
 * Google's token endpoint answers errors with HTTP 400/401 and `{"error", "error_description"}`,
 * the descriptions as Google words them ("Bad Request", "Token has been expired or revoked.").
 * Refresh tokens are not rotated; access tokens last an hour.
 */
import { randomBytes } from 'node:crypto';
import {
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
  type EmulatedAccount,
  type EmulatorAnswer,
  type EmulatorOptions,
  type Grant,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const GOOGLE_DOCS = [
  'https://developers.google.com/identity/protocols/oauth2/web-server',
  'https://developers.google.com/identity/openid-connect/openid-connect',
  'https://developers.google.com/identity/openid-connect/reference#discovery-document',
  'https://developers.google.com/identity/protocols/oauth2/scopes',
  'https://support.google.com/accounts/answer/13533235',
];

/** Where a user removes the app's access at Google ([connections]). */
export const GOOGLE_REVOKE_PAGE = 'https://myaccount.google.com/connections';

const ISSUER = 'https://accounts.google.com';

/**
 * [scopes] `email` and `profile` are the OpenID Connect names of
 * https://www.googleapis.com/auth/userinfo.email and …/userinfo.profile; the token endpoint reports
 * granted scopes by the URL names (`scope: "https://www.googleapis.com/auth/userinfo.email openid"`).
 */
const SCOPE_URL: Readonly<Record<string, string>> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

export interface GoogleEmulator extends ProviderEmulator {
  /** [connections] The user removes the app at myaccount.google.com: every grant dies, and the next authorization asks consent again. */
  removeAppAccess(login: string): void;
}

export async function startGoogleEmulator(options: EmulatorOptions): Promise<GoogleEmulator> {
  const { client } = options;
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [exchange] expires_in: "The remaining lifetime of the access token in seconds" (3599 in practice: one hour).
  const accessTtlS = options.accessTtlS ?? 3599;
  const policy = (refresh: boolean): IssuePolicy => ({ accessTtlS, refresh, accessPrefix: 'ya29.', refreshPrefix: '1//' });
  /**
   * What each account has granted this client, present once the user consented ([authorize] prompt:
   * "the user will be prompted only the first time your project requests access"); `offline` once
   * offline access was granted.
   */
  const consents = new Map<string, { scopes: Set<string>; offline: boolean }>();
  const consentKey = (account: EmulatedAccount) => `${account.login}\n${client.clientId}`;

  // [authorize] GET https://accounts.google.com/o/oauth2/v2/auth
  server.on('accounts.google.com', 'GET', '/o/oauth2/v2/auth', (req) => {
    const q = req.query;
    // [errors-authorize] invalid_client / redirect_uri_mismatch / invalid_request are shown on
    // Google's own error page ("Error 400: …"); nothing is sent to an unverified redirect URI.
    if (q.get('client_id') !== client.clientId) return errorPage(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = q.get('redirect_uri');
    // [authorize] redirect_uri: "Required … must exactly match one of the authorized redirect URIs for the OAuth 2.0 client".
    if (!redirectUri) return errorPage(400, 'invalid_request', 'Missing required parameter: redirect_uri');
    if (redirectUri !== client.redirectUri) {
      return errorPage(
        400,
        'redirect_uri_mismatch',
        `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`,
      );
    }
    // [authorize] response_type: "Required … set the parameter value to code for web server applications".
    if (q.get('response_type') !== 'code') return errorPage(400, 'invalid_request', 'Invalid response_type: must be code');
    // [authorize] scope: "Required. A space-delimited list of scopes".
    const asked = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!asked.length) return errorPage(400, 'invalid_request', 'Missing required parameter: scope');
    // [authorize] access_type: "online, which is the default value, and offline".
    const accessType = q.get('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') return errorPage(400, 'invalid_request', `Invalid access_type: ${accessType}`);
    // [authorize] prompt: "A space-delimited, case-sensitive list of prompts … none, consent, select_account";
    // none "must not be specified with any other values".
    const prompts = (q.get('prompt') ?? '').split(' ').filter(Boolean);
    if (prompts.some((p) => !['none', 'consent', 'select_account'].includes(p)) || (prompts.includes('none') && prompts.length > 1)) {
      return errorPage(400, 'invalid_request', `Invalid parameter value for prompt: ${q.get('prompt')}`);
    }
    // [authorize] code_challenge_method: "either S256 or plain" (RFC 7636 §4.3: plain when absent).
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') ?? (challenge ? 'plain' : null);
    if ((method && !challenge) || (method && method !== 'S256' && method !== 'plain')) {
      return errorPage(400, 'invalid_request', 'Invalid code_challenge_method');
    }
    const state = q.get('state') ?? undefined;

    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Sign in - Google Accounts</title>', 'text/html; charset=utf-8');
    // [errors-authorize] "If the user does not approve the request, the response contains an error message": error=access_denied.
    if (!consent.approved) return redirectBack(redirectUri, { error: 'access_denied', state });

    const key = consentKey(consent.account);
    const earlier = consents.get(key);
    // [authorize] prompt=none: "Do not display any authentication or consent screens" — so without an
    // earlier consent the request fails (OpenID Connect Core §3.1.2.6 consent_required).
    if (prompts.includes('none') && !earlier) return redirectBack(redirectUri, { error: 'consent_required', state });
    // [scopes] email/profile are granted under their URL names.
    let scopes = asked.map((scope) => SCOPE_URL[scope] ?? scope);
    // [authorize] include_granted_scopes=true: "the new access token also covers any scopes to which the user previously granted the application access".
    if (q.get('include_granted_scopes') === 'true' && earlier) scopes = [...new Set([...earlier.scopes, ...scopes])];
    // [offline] access_type=offline "instructs the Google authorization server to return a refresh
    // token … the first time that your application exchanges an authorization code for tokens"; once
    // offline access was granted, a later authorization yields one again only with prompt=consent.
    const offline = accessType === 'offline';
    const refresh = offline && (!earlier?.offline || prompts.includes('consent'));
    consents.set(key, { scopes: new Set([...(earlier?.scopes ?? []), ...scopes]), offline: offline || Boolean(earlier?.offline) });

    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      redirectUri,
      challenge: challenge && method ? { value: challenge, method } : undefined,
      extra: { refresh: String(refresh), nonce: q.get('nonce') ?? '' },
      prefix: '4/0A',
    });
    // [exchange] Step 4: "https://oauth2.example.com/auth?code=4/P7q7W91a-oMsCeLvIaQm6bTrgtp7" (with state when given).
    return redirectBack(redirectUri, { code, state });
  });

  // [exchange] POST https://oauth2.googleapis.com/token; [offline] the same endpoint refreshes.
  server.on('oauth2.googleapis.com', 'POST', '/token', (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(params, auth));
  });

  function tokenEndpoint(params: URLSearchParams | undefined, auth: ReturnType<typeof clientAuthOf>): EmulatorAnswer {
    // [exchange] "Content-Type: application/x-www-form-urlencoded".
    if (!params) return oauthError(400, 'invalid_request', 'Bad Request');
    // [exchange] client_id and client_secret are request parameters. Google's discovery document
    // also lists client_secret_basic, but the web-server guide documents only these body parameters
    // and the preset sends them: the emulator holds the app to exactly that method.
    if (auth.method === 'client_secret_basic' || auth.method === 'both') return oauthError(401, 'invalid_client', 'Unauthorized');
    if (!auth.clientId) return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
    if (auth.clientId !== client.clientId) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (auth.method === 'none') return oauthError(400, 'invalid_request', 'client_secret is missing.');
    if (auth.clientSecret !== client.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');

    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') return refreshGrant(params);
    if (!grantType) return oauthError(400, 'invalid_request', 'Missing required parameter: grant_type');
    if (grantType !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    // [exchange] redirect_uri: "One of the redirect URIs listed for your project … for the given client_id".
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) return oauthError(400, 'invalid_request', 'Missing parameter: redirect_uri');
    if (redirectUri !== client.redirectUri) return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
    const code = params.get('code');
    if (!code) return oauthError(400, 'invalid_request', 'Missing required parameter: code');
    const verifier = params.get('code_verifier') ?? undefined;
    const issued = grants.redeemCode(code, { clientId: auth.clientId, redirectUri, verifier, redirectUriRequired: true });
    if (isRefusal(issued)) {
      // [errors-authorize] invalid_grant; a used, unknown or expired code is "Bad Request" at the token endpoint.
      if (issued.reason === 'PKCE verification failed') return oauthError(400, 'invalid_grant', verifier ? 'Invalid code verifier.' : 'Missing code verifier.');
      return oauthError(400, 'invalid_grant', 'Bad Request');
    }
    const { grant } = issued;
    const tokens = grants.issueTokens(grant, policy(grant.extra.refresh === 'true'), issued);
    // [exchange] access_token, expires_in, refresh_token (only with access_type=offline), scope, token_type;
    // [oidc] id_token when `openid` was asked for.
    return json(200, {
      ...tokenFields(tokens),
      ...(grant.scopes.includes('openid') ? { id_token: idToken(grant, client.clientId, accessTtlS) } : {}),
    });
  }

  function refreshGrant(params: URLSearchParams): EmulatorAnswer {
    const token = params.get('refresh_token');
    if (!token) return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
    // [offline] Google answers with a new access token and no new refresh token: the same refresh
    // token stays valid until the user or the app revokes it.
    const renewed = grants.refresh(token, { clientId: client.clientId, rotate: false, reuse: 'reject', policy: policy(false) });
    if (isRefusal(renewed)) {
      if (renewed.reason === 'refresh token issued to another client') return oauthError(400, 'unauthorized_client', 'Unauthorized');
      if (renewed.reason === 'unknown refresh token') return oauthError(400, 'invalid_grant', 'Bad Request');
      // [errors-authorize] invalid_grant: "the token may have expired or has been invalidated".
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    // [offline] the refresh answer: access_token, expires_in, scope, token_type.
    return json(200, tokenFields(renewed));
  }

  // [revoke] POST https://oauth2.googleapis.com/revoke with `token` ("an access token or a refresh
  // token"), in the query or the form body; no client authentication is asked for.
  server.on('oauth2.googleapis.com', 'POST', '/revoke', (req) => {
    const token = req.query.get('token') ?? formOf(req)?.get('token');
    if (!token) return oauthError(400, 'invalid_request', 'Missing required parameter: token');
    // [revoke] "For error conditions, an HTTP status code 400 is returned along with an error code":
    // a token already revoked or expired is `invalid_token`, not the RFC 7009 §2.2 200.
    if (!grants.isAlive(token)) return oauthError(400, 'invalid_token', 'Token expired or revoked');
    // [revoke] "If the token is an access token and it has a corresponding refresh token, the refresh
    // token will also be revoked": the whole grant goes, and with it the user's consent to the app.
    const grant = grantOf(token);
    grants.revokeGrantOf(token);
    if (grant) consents.delete(consentKey(grant.account));
    // [revoke] "If the revocation is successfully processed, then the HTTP status code of the response is 200."
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '' };
  });

  // [discovery] userinfo_endpoint https://openidconnect.googleapis.com/v1/userinfo; [oidc] "obtainuserinfo".
  server.on('openidconnect.googleapis.com', 'GET', '/v1/userinfo', (req) => {
    const record = grants.liveAccessToken(bearerOf(req));
    if (!record) {
      return json(
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        { 'www-authenticate': `Bearer realm="${ISSUER}/", error="invalid_token"` },
      );
    }
    return json(200, claimsOf(record.grant.account, record.scopes));
  });

  function grantOf(token: string): Grant | undefined {
    return grants.accessTokens.get(token)?.grant ?? grants.refreshTokens.get(token)?.grant;
  }

  return {
    preset: 'google',
    docs: GOOGLE_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: true, expires: true, revocation: true },
    tokenCalls,
    isAlive: (token) => grants.isAlive(token),
    expireAccessToken: (token) => grants.expireAccessToken(token),
    removeAppAccess(login) {
      const all = [...grants.accessTokens.values(), ...grants.refreshTokens.values()].map((record) => record.grant);
      for (const grant of new Set(all)) if (grant.account.login === login && grant.clientId === client.clientId) grants.revokeGrant(grant);
      for (const key of [...consents.keys()]) if (key.startsWith(`${login}\n`)) consents.delete(key);
    },
    close: () => server.close(),
  };
}

function tokenFields(tokens: IssuedTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
    scope: tokens.scopes.join(' '),
    token_type: 'Bearer',
  };
}

/** Google's token endpoint errors: JSON with the status Google uses (400, or 401 for client authentication). */
function oauthError(status: number, error: string, description: string): EmulatorAnswer {
  return json(status, { error, error_description: description });
}

/** [errors-authorize] Google's own error page ("Error 400: redirect_uri_mismatch"). */
function errorPage(status: number, error: string, detail: string): EmulatorAnswer {
  return text(
    status,
    `<!doctype html><title>Error ${status}: ${error}</title><p>Access blocked: this app's request is invalid</p><p>Error ${status}: ${error}</p><p>${escapeHtml(detail)}</p>`,
    'text/html; charset=utf-8',
  );
}

const escapeHtml = (value: string): string => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** [oidc] the standard claims Google gives for the `openid`, `email` and `profile` scopes. */
function claimsOf(account: EmulatedAccount, scopes: string[]): Record<string, unknown> {
  const [given, ...family] = account.name.split(' ');
  return {
    sub: googleSub(account),
    ...(scopes.includes(SCOPE_URL.profile)
      ? { name: account.name, given_name: given, family_name: family.join(' '), picture: `https://lh3.googleusercontent.com/a/${account.login}` }
      : {}),
    ...(scopes.includes(SCOPE_URL.email) ? { email: account.email, email_verified: true } : {}),
  };
}

/** [oidc] "sub: An identifier for the user, unique among all Google accounts and never reused" (digits). */
const googleSub = (account: EmulatedAccount): string => `1${account.id.padStart(20, '0')}`;

/** [oidc] An ID token's payload; the signature is not real (the app does not verify it). */
function idToken(grant: Grant, clientId: string, ttlS: number): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER,
    azp: clientId,
    aud: clientId,
    ...claimsOf(grant.account, grant.scopes),
    ...(grant.extra.nonce ? { nonce: grant.extra.nonce } : {}),
    iat: now,
    exp: now + ttlS,
  };
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'emulator', typ: 'JWT' })}.${part(payload)}.${randomBytes(32).toString('base64url')}`;
}
