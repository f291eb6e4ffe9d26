/**
 * Dropbox, emulated from its documentation:
 * - [guide] https://developers.dropbox.com/oauth-guide
 * - [authorize] https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize
 * - [token] https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token
 * - [offline] https://dropbox.tech/developers/using-oauth-2-0-with-offline-access
 * - [formats] https://www.dropbox.com/developers/documentation/http/documentation#formats (RPC endpoints)
 * - [errors] https://www.dropbox.com/developers/documentation/http/documentation#error-handling
 * - [revoke] https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke
 * - [account] https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account
 * Error bodies of /oauth2/token are not documented; the shapes below are Dropbox's as reported:
 * - [seen-grant] https://github.com/nextcloud/integration_dropbox/issues/34 and
 *   https://github.com/mikecotrone/DropboxAPI/issues/1 (400 {"error": "invalid_grant", "error_description": …})
 * - [seen-client] https://github.com/s-aska/dropbox-api-command/issues/41 (400 {"error": "invalid_client: Invalid client_id or client_secret"})
 * - [seen-noauth] https://github.com/dropbox/dropbox-js/issues/242 (invalid_request "No auth function available for given request")
 *
 * Short-lived `sl.` access tokens (4 hours); a refresh token only with token_access_type=offline,
 * which does not rotate and lives until revoked.
 */
import {
  lifecycleOf,
  ACCOUNTS,
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
  type AccessTokenRecord,
  type EmulatedAccount,
  type EmulatorAnswer,
  type EmulatorOptions,
  type EmulatorRequest,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const DROPBOX_DOCS = [
  'https://developers.dropbox.com/oauth-guide',
  'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize',
  'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token',
  'https://dropbox.tech/developers/using-oauth-2-0-with-offline-access',
  'https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke',
  'https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account',
];

/** The scopes this emulated app has enabled in its Permissions tab ([guide] "Scopes"). */
const APP_SCOPES = ['account_info.read', 'files.metadata.read', 'files.content.read'];

export async function startDropboxEmulator(options: EmulatorOptions): Promise<ProviderEmulator> {
  const { client } = options;
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [offline] short-lived access tokens ("expires_in": 14400); the refresh token "can be used
  // repeatedly" and does not expire.
  const accessTtlS = options.accessTtlS ?? 14_400;
  const policyOf = (offline: boolean): IssuePolicy => ({ accessTtlS, refresh: offline, accessPrefix: 'sl.', refreshPrefix: '' });

  // [authorize] GET https://www.dropbox.com/oauth2/authorize
  server.on('www.dropbox.com', 'GET', '/oauth2/authorize', (req) => {
    const q = req.query;
    // [authorize] "response_type: The grant type requested, either token or code"; only code here.
    if (q.get('response_type') !== 'code') return errorPage('Invalid response_type');
    if (q.get('client_id') !== client.clientId) return errorPage(`Invalid client_id: "${q.get('client_id') ?? ''}".`);
    // [authorize] redirect_uri "must exactly match one of the redirect URIs you've pre-configured";
    // a mismatch is an error page, never a redirect.
    const asked = q.get('redirect_uri') ?? undefined;
    if (asked !== undefined && asked !== client.redirectUri) {
      return errorPage("Invalid redirect_uri. It must exactly match one of the redirect URIs you've pre-configured for your app (including the path).");
    }
    if (asked === undefined) return errorPage('This emulator serves only the redirect flow: redirect_uri is required.');
    // [authorize] token_access_type: online (short-lived token only) or offline (plus a refresh token);
    // legacy long-lived tokens are retired ([offline]).
    const accessType = q.get('token_access_type') ?? 'online';
    if (!['online', 'offline'].includes(accessType)) return errorPage(`Invalid token_access_type: "${accessType}".`);
    // [authorize] PKCE: code_challenge "Should be between 43 and 128 characters"; code_challenge_method "S256 or plain".
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') ?? 'plain';
    if (challenge && (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge) || !['S256', 'plain'].includes(method)))
      return errorPage('Invalid code_challenge or code_challenge_method');
    // [authorize] scope: space-separated; one the app has not enabled is refused with invalid_scope
    // (RFC 6749 §4.1.2.1; Dropbox does not document this answer).
    const askedScopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    const unknown = askedScopes.find((scope) => !APP_SCOPES.includes(scope));
    if (unknown)
      return redirectBack(asked, { error: 'invalid_scope', error_description: `Unknown or disabled scope: ${unknown}`, state: q.get('state') ?? undefined });
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Dropbox - API Request Authorization</title>', 'text/html; charset=utf-8');
    // [authorize] on refusal the user is sent back with error=access_denied (RFC 6749 §4.1.2.1) and an error_description.
    if (!consent.approved) {
      return redirectBack(asked, {
        error: 'access_denied',
        error_description: 'The user chose not to give your app access to their Dropbox account.',
        state: q.get('state') ?? undefined,
      });
    }
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      // [guide] without `scope`, the token gets every scope the app has enabled.
      scopes: askedScopes.length ? askedScopes : APP_SCOPES,
      redirectUri: asked,
      challenge: challenge ? { value: challenge, method } : undefined,
      extra: { offline: String(accessType === 'offline'), pkce: String(Boolean(challenge)) },
      prefix: '',
    });
    // [authorize] "<REDIRECT URI>?code=<AUTHORIZATION CODE>&state=<STATE>" ([offline] step 1).
    return redirectBack(asked, { code, state: q.get('state') ?? undefined });
  });

  // [token] POST https://api.dropboxapi.com/oauth2/token (the code exchange and the refresh).
  server.on('api.dropboxapi.com', 'POST', '/oauth2/token', (req) => {
    const params = formOf(req) ?? new URLSearchParams();
    const auth = clientAuthOf(req, params);
    const grantType = params.get('grant_type') ?? undefined;
    const call = { grantType, clientAuth: auth.method, refreshToken: params.get('refresh_token') ?? undefined };
    return recordTokenCall(tokenCalls, call, tokenEndpoint(params, auth));
  });

  function tokenEndpoint(params: URLSearchParams, auth: ReturnType<typeof clientAuthOf>): EmulatorAnswer {
    // [token] "Calls to /oauth2/token need to be authenticated using the apps's key and secret. These can
    // either be passed as application/x-www-form-urlencoded POST parameters … or via HTTP basic
    // authentication"; client_secret is left out only with PKCE ("code_verifier … Only used for PKCE").
    if (auth.method === 'none' && !auth.clientId) return tokenError('invalid_request', 'No auth function available for given request');
    const sameIdTwice = auth.method !== 'both' || params.get('client_id') === null || params.get('client_id') === auth.clientId;
    const secretOk =
      auth.method === 'none' || (auth.clientSecret === client.clientSecret && (auth.method !== 'both' || params.get('client_secret') === auth.clientSecret));
    if (auth.clientId !== client.clientId || !sameIdTwice || !secretOk) return json(400, { error: 'invalid_client: Invalid client_id or client_secret' });

    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') {
      const presented = params.get('refresh_token') ?? undefined;
      const record = presented ? grants.refreshTokens.get(presented) : undefined;
      // [seen-grant] "refresh token is invalid or revoked"; a secretless refresh only for a PKCE grant.
      if (!record || (auth.method === 'none' && record.grant.extra.pkce !== 'true')) return tokenError('invalid_grant', 'refresh token is invalid or revoked');
      // [offline] the refresh answer is a new short-lived access token, no new refresh token: the
      // refresh token stays the same and earlier access tokens live until they expire.
      const renewed = grants.refresh(presented, { clientId: auth.clientId, rotate: false, reuse: 'reject', policy: policyOf(true) });
      if (isRefusal(renewed)) return tokenError('invalid_grant', 'refresh token is invalid or revoked');
      return json(200, { access_token: renewed.accessToken, token_type: 'bearer', expires_in: renewed.expiresIn });
    }
    // [token] grant_type "must be authorization_code for completing a code flow or refresh_token".
    if (grantType !== 'authorization_code') return tokenError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    // [token] redirect_uri: "only used to validate that it matches the original /oauth2/authorize";
    // required when the authorization request had one (RFC 6749 §4.1.3).
    const issued = grants.redeemCode(params.get('code') ?? undefined, {
      clientId: auth.clientId,
      redirectUri: params.get('redirect_uri') ?? undefined,
      verifier: params.get('code_verifier') ?? undefined,
      redirectUriRequired: true,
    });
    if (isRefusal(issued)) {
      const description = issued.reason.startsWith('redirect_uri')
        ? 'redirect_uri mismatch'
        : issued.reason.startsWith('PKCE') || issued.reason.startsWith('code_verifier')
          ? 'invalid code verifier'
          : "code doesn't exist or has expired";
      return tokenError('invalid_grant', description);
    }
    if (auth.method === 'none' && !issued.challenge) return json(400, { error: 'invalid_client: Invalid client_id or client_secret' });
    const tokens = grants.issueTokens(issued.grant, policyOf(issued.grant.extra.offline === 'true'), issued);
    return json(200, codeAnswer(issued.grant.account, tokens));
  }

  // [revoke] POST /2/auth/token/revoke: "Disables the access token used to authenticate the call. If
  // there is a corresponding refresh token for the access token, this disables that refresh token, as
  // well as any other access tokens for that refresh token." No parameters; returns Void.
  server.on('api.dropboxapi.com', 'POST', '/2/auth/token/revoke', (req) => {
    const refused = rpcRefusal(req, 'auth/token/revoke');
    if (refused) return refused;
    const record = authorize(req);
    if ('status' in record) return record;
    grants.revokeGrantOf(bearerOf(req)!);
    return json(200, null);
  });

  // [account] POST /2/users/get_current_account: no parameters; returns FullAccount.
  server.on('api.dropboxapi.com', 'POST', '/2/users/get_current_account', (req) => {
    const refused = rpcRefusal(req, 'users/get_current_account');
    if (refused) return refused;
    const record = authorize(req);
    if ('status' in record) return record;
    return json(200, fullAccount(record.grant.account));
  });

  /** [errors] 401 "Bad or expired token … The response body is a JSON object of type AuthError". */
  function authorize(req: EmulatorRequest): AccessTokenRecord | EmulatorAnswer {
    const token = bearerOf(req);
    const record = token ? grants.accessTokens.get(token) : undefined;
    if (!record || record.revoked || record.grant.revoked) return authError('invalid_access_token');
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return authError('expired_access_token');
    return record;
  }

  return {
    preset: 'dropbox',
    docs: DROPBOX_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: true, expires: true, revocation: true },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/**
 * [formats] RPC endpoints take their arguments as JSON in the body; a route without arguments takes
 * no body (the documented curl examples send only the Authorization header) or the JSON `null`.
 * [errors] 400 "Bad input parameter. The response body is a plaintext message with more information."
 */
function rpcRefusal(req: EmulatorRequest, route: string): EmulatorAnswer | undefined {
  const prefix = `Error in call to API function "${route}": `;
  if (!req.headers.authorization) return text(400, `${prefix}Must provide HTTP header "Authorization" or URL parameter "authorization".`);
  const type = String(req.headers['content-type'] ?? '');
  const body = req.body.trim();
  if (!type && !body) return undefined;
  const jsonTypes = ['application/json', 'application/json; charset=utf-8', 'text/plain; charset=dropbox-cors-hack'];
  if (!jsonTypes.includes(type.toLowerCase())) {
    return text(
      400,
      `${prefix}Bad HTTP "Content-Type" header: "${type}".  Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`,
    );
  }
  if (body !== 'null') return text(400, `${prefix}request body: could not decode input as JSON`);
  return undefined;
}

function authError(tag: 'invalid_access_token' | 'expired_access_token'): EmulatorAnswer {
  return json(401, { error_summary: `${tag}/..`, error: { '.tag': tag } }, { 'www-authenticate': 'Bearer' });
}

/** [seen-grant] 400 with an RFC 6749 §5.2 body. */
function tokenError(error: string, description: string): EmulatorAnswer {
  return json(400, { error, error_description: description });
}

/** [token] Returns: access_token, expires_in, token_type, scope, account_id, uid, and refresh_token when offline. */
function codeAnswer(account: EmulatedAccount, tokens: IssuedTokens): Record<string, unknown> {
  const answer: Record<string, unknown> = {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    token_type: 'bearer',
    scope: tokens.scopes.join(' '),
    account_id: accountIdOf(account),
    uid: account.id,
  };
  if (tokens.refreshToken) answer.refresh_token = tokens.refreshToken;
  return answer;
}

/** [account] FullAccount. */
function fullAccount(account: EmulatedAccount): Record<string, unknown> {
  const [given, ...rest] = account.name.split(' ');
  return {
    account_id: accountIdOf(account),
    name: {
      given_name: given,
      surname: rest.join(' '),
      familiar_name: given,
      display_name: account.name,
      abbreviated_name: account.name
        .split(' ')
        .map((part) => part[0])
        .join(''),
    },
    email: account.email,
    email_verified: true,
    disabled: false,
    locale: 'en',
    referral_link: `https://db.tt/${account.login}`,
    is_paired: false,
    account_type: { '.tag': 'basic' },
    root_info: { '.tag': 'user', root_namespace_id: `30${account.id}`, home_namespace_id: `30${account.id}` },
    country: 'US',
  };
}

function accountIdOf(account: EmulatedAccount): string {
  return `dbid:AAEmulated${account.id}`;
}

function errorPage(message: string): EmulatorAnswer {
  return text(
    400,
    `<!doctype html><title>Dropbox - 400</title><p>It seems the app you were using submitted a bad request.</p><p>${message}</p>`,
    'text/html; charset=utf-8',
  );
}

export { ACCOUNTS };
