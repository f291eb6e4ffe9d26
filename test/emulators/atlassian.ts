/**
 * Atlassian Cloud OAuth 2.0 (3LO), emulated from its documentation:
 * - [3lo] https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 * - [implementing] https://developer.atlassian.com/cloud/oauth/getting-started/implementing-oauth-3lo
 * - [refresh] https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens
 * - [rotation] https://community.developer.atlassian.com/t/updated-31-january-2022-action-required-deprecating-persistent-refresh-tokens/54172
 * - [companion] https://community.developer.atlassian.com/t/the-old-access-token-will-be-revoked-during-the-refresh-token-exchange/83103
 * - [passport] https://github.com/atlassian/passport-atlassian-oauth2 (Atlassian's own client library)
 * - [connected-apps] https://support.atlassian.com/security-and-access-policies/docs/manage-your-users-third-party-apps/
 *
 * One app registered in the developer console with the User identity API (read:me), a few Jira
 * scopes and rotating refresh tokens. 1-hour access tokens; `offline_access` adds a refresh token
 * that rotates on every use. No revocation endpoint is documented for 3LO apps: a user or an
 * admin revokes a grant on a connected-apps screen [connected-apps], which `expireAccessToken`
 * and the grant book stand in for. PKCE is not documented for 3LO: `code_challenge` and
 * `code_verifier` are unknown parameters here and are ignored, neither honoured nor refused.
 */
import {
  lifecycleOf,
  tokenCallOf,
  ACCOUNTS,
  EmulatorServer,
  GrantBook,
  bearerOf,
  clientAuthOf,
  consentOf,
  formOf,
  isRefusal,
  json,
  jsonParams,
  recordTokenCall,
  redirectBack,
  text,
  type ClientAuthentication,
  type EmulatorAnswer,
  type EmulatorOptions,
  type EmulatorRequest,
  type Grant,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const ATLASSIAN_DOCS = [
  'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  'https://developer.atlassian.com/cloud/oauth/getting-started/implementing-oauth-3lo',
  'https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens',
  'https://community.developer.atlassian.com/t/updated-31-january-2022-action-required-deprecating-persistent-refresh-tokens/54172',
];

/** [3lo] the audience every 3LO app asks for; [implementing] no longer lists it, so it may be absent. */
const AUDIENCE = 'api.atlassian.com';

/** [implementing] "Only choose from the scopes that you have already added to the APIs for your app in the developer console." */
const REGISTERED_SCOPES = new Set([
  'read:me',
  'offline_access',
  'read:account',
  'read:jira-user',
  'read:jira-work',
  'write:jira-work',
  'read:confluence-content.summary',
]);

/** [rotation] "Rotating refresh tokens expire after 90 days of user inactivity"; each use resets it. */
const REFRESH_INACTIVITY_S = 90 * 24 * 3600;

const HTML = 'text/html; charset=utf-8';

export async function startAtlassianEmulator(options: EmulatorOptions): Promise<ProviderEmulator> {
  const { client } = options;
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [refresh] "expires_in: <expiry time of access_token in second>"; [companion] "access_token which expires after 1 hour".
  const accessTtlS = options.accessTtlS ?? 3600;
  // [refresh] "To get a refresh token in your initial authorization flow, add offline_access to the scope parameter".
  const policyFor = (grant: Grant): IssuePolicy => ({
    accessTtlS,
    refresh: grant.scopes.includes('offline_access'),
    refreshTtlS: REFRESH_INACTIVITY_S,
    accessPrefix: 'atl-at-',
    refreshPrefix: 'atl-rt-',
  });

  // [implementing] "Direct the user to the authorization URL to get an authorization code": GET https://auth.atlassian.com/authorize
  server.on('auth.atlassian.com', 'GET', '/authorize', (req) => {
    const q = req.query;
    // [implementing] client_id "(required) Set this to the Client ID for your app"; redirect_uri "(required) Set this to
    // the callback URL configured in Authorization for your app". Neither can be redirected to when wrong (RFC 6749 §4.1.2.1).
    if (q.get('client_id') !== client.clientId) return text(400, '<!doctype html><title>Something went wrong</title><p>Unknown client.</p>', HTML);
    const redirectUri = q.get('redirect_uri');
    if (redirectUri !== client.redirectUri)
      return text(400, '<!doctype html><title>Something went wrong</title><p>The redirect_uri is not a callback URL of this app.</p>', HTML);
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) => redirectBack(redirectUri, { error, error_description: description, state });
    // [implementing] response_type "(required) Set to code as you are requesting an authorization code (not a token)".
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'Unsupported response type: ' + (q.get('response_type') ?? ''));
    // [3lo] audience "(required) Set this to api.atlassian.com"; [implementing] omits it, so absent is accepted, another value is not.
    const audience = q.get('audience');
    if (audience !== null && audience !== AUDIENCE) return fail('access_denied', `Service not found: ${audience}`);
    // [implementing] prompt "(required) Set to consent so that the screen prompting the user to grant access will display".
    if (q.get('prompt') !== 'consent') return fail('invalid_request', 'prompt=consent is required');
    // [implementing] scope "(required) Set this to the desired scopes: Separate multiple scopes with a space."
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.length) return fail('invalid_request', 'scope is required');
    const unknown = scopes.find((scope) => !REGISTERED_SCOPES.has(scope));
    if (unknown) return fail('invalid_scope', `The scope ${unknown} has not been added to this app`);
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Log in to continue - Atlassian</title>', HTML);
    // [3lo] "The user grants (or denies) access to their data on the Atlassian site, via the screen."
    if (!consent.approved) return fail('access_denied', 'User did not authorize the request');
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      redirectUri,
      extra: { audience: AUDIENCE },
      prefix: 'atl-code-',
    });
    // [implementing] "Atlassian will redirect the user back to the app to the specified redirect uri with a query parameter that has a authorization code."
    return redirectBack(redirectUri, { code, state });
  });

  // [implementing] "Exchange authorization code for access token": POST https://auth.atlassian.com/oauth/token; [refresh] the same URL refreshes.
  server.on('auth.atlassian.com', 'POST', '/oauth/token', (req) => {
    const params = paramsOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(params, auth));
  });

  function tokenEndpoint(params: URLSearchParams | undefined, auth: ClientAuthentication): EmulatorAnswer {
    // [implementing] and [refresh] document "--header 'Content-Type: application/json'"; Atlassian's own client [passport]
    // (passport-oauth2) posts the same fields form-encoded, and that works, so both bodies are read; anything else is not.
    if (!params) return json(400, { error: 'invalid_request', error_description: 'Unsupported content type' });
    // [implementing] client_id and client_secret "(required)" in the request body; HTTP Basic is not documented, so it is refused.
    // The answer is the one the Auth0-based server gives a bad client [rotation: "Atlassian built on top of Auth0"].
    if (auth.method !== 'client_secret_post' || auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret) {
      return json(401, { error: 'access_denied', error_description: 'Unauthorized' });
    }
    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') {
      // [refresh] "You receive a new refresh token as well and the refresh token you used for the request is disabled."
      // [rotation] "Reuse of old tokens outside the leeway interval invalidates all refresh tokens, and requires the user to
      // re-consent. The leeway interval is 10 minutes." The emulator gives no leeway: a client that needs it has a race.
      // [companion] the old access token is revoked with its refresh token (after the same leeway; here at once).
      const presented = params.get('refresh_token') ?? undefined;
      const record = presented ? grants.refreshTokens.get(presented) : undefined;
      const policy = record ? policyFor(record.grant) : { accessTtlS, refresh: true };
      const renewed = grants.refresh(presented, { clientId: auth.clientId, rotate: true, reuse: 'revoke-grant', policy, retireAccessTokens: true });
      // [refresh] "403 Forbidden with {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}"
      if (isRefusal(renewed)) return json(403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
      return tokenAnswer(renewed);
    }
    if (grantType !== 'authorization_code')
      return json(403, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: ' + (grantType ?? '') });
    // [implementing] redirect_uri "(required) Set this to the callback URL configured for your app in the developer console."
    const redirectUri = params.get('redirect_uri') ?? undefined;
    const issued = grants.redeemCode(params.get('code') ?? undefined, {
      clientId: auth.clientId,
      redirectUri,
      // PKCE is not documented for 3LO: a code_verifier is an unknown parameter, ignored.
      verifier: undefined,
      redirectUriRequired: true,
    });
    if (isRefusal(issued)) {
      const description = issued.reason.includes('redirect_uri') ? 'Invalid redirect_uri' : 'Invalid authorization code';
      return json(403, { error: 'invalid_grant', error_description: description });
    }
    return tokenAnswer(grants.issueTokens(issued.grant, policyFor(issued.grant), issued));
  }

  // [3lo] "How do I retrieve the public immutable account identifier for the user?": GET https://api.atlassian.com/me with read:me.
  server.on('api.atlassian.com', 'GET', '/me', (req) => {
    const record = grants.liveAccessToken(bearerOf(req));
    if (!record) return json(401, { code: 401, message: 'Unauthorized' });
    if (!record.scopes.includes('read:me')) return json(401, { code: 401, message: 'Unauthorized; scope does not match' });
    const { account } = record.grant;
    return json(200, {
      account_type: 'atlassian',
      account_id: `557058:0000-${account.id}`,
      email: account.email,
      name: account.name,
      picture: `https://avatar-management--avatars.example.test/${account.id}/128`,
      account_status: 'active',
      nickname: account.login,
      zoneinfo: 'Etc/UTC',
      locale: 'en-US',
      extended_profile: {},
    });
  });

  return {
    preset: 'atlassian',
    docs: ATLASSIAN_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: true, expires: true, revocation: false },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/** [refresh] "HTTP/1.1 200 OK Content-Type: application/json { access_token, refresh_token, expires_in, scope }". */
function tokenAnswer(tokens: IssuedTokens): EmulatorAnswer {
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    token_type: 'Bearer',
    scope: tokens.scopes.join(' '),
  };
  if (tokens.refreshToken) body.refresh_token = tokens.refreshToken;
  return json(200, body);
}

/** The JSON body [implementing] documents, or the form body [passport] sends, as one parameter list. */
function paramsOf(req: EmulatorRequest): URLSearchParams | undefined {
  return formOf(req) ?? jsonParams(req);
}

export { ACCOUNTS };
