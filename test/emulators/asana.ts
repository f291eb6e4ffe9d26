/**
 * Asana, emulated from its documentation:
 * - [oauth] https://developers.asana.com/docs/oauth
 *   (#user-authorization-endpoint, #token-exchange-endpoint, #token-deauthorization-endpoint, #pkce-oauth-extension, #troubleshooting)
 * - [scopes] https://developers.asana.com/docs/oauth-scopes
 * - [pkce-announcement] https://forum.asana.com/t/changes-to-our-oauth-authorization-flows/59767
 * - [token-format] https://forum.asana.com/t/change-api-token-formats-are-changing/585459
 * - [getuser] https://developers.asana.com/reference/getuser
 * - [errors] https://developers.asana.com/docs/errors
 *
 * One app registered in the developer console, with either *Full permissions* (the default here:
 * no `scope`, or `scope=default`) or a list of permission scopes (`permissions: [...]`), which the
 * authorization request must then name. 1-hour access tokens; a long-lived refresh token that does
 * not rotate; revocation takes the refresh token only, and takes its access tokens with it.
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
  recordTokenCall,
  redirectBack,
  text,
  type ClientAuthentication,
  type EmulatedAccount,
  type EmulatorAnswer,
  type EmulatorOptions,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const ASANA_DOCS = [
  'https://developers.asana.com/docs/oauth',
  'https://developers.asana.com/reference/getuser',
  'https://developers.asana.com/docs/errors',
];

/** [errors] every API error carries this `help` line. */
const HELP = 'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors';

/** [scopes] the scopes a scoped app may register; a few suffice here. */
const KNOWN_SCOPES = new Set(['users:read', 'workspaces:read', 'projects:read', 'tasks:read', 'tasks:write', 'openid', 'email', 'profile']);

export async function startAsanaEmulator(options: EmulatorOptions & { permissions?: 'full' | string[] }): Promise<ProviderEmulator> {
  const { client } = options;
  const registered = options.permissions === undefined || options.permissions === 'full' ? 'full' : new Set(options.permissions);
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [oauth] expires_in "The number of seconds that the token is valid, typically 3600 (one hour)"; refresh_token
  // "a long-lived token that can be used to get new access tokens when older ones expire". [token-format] tokens "may
  // contain special characters which need to be URL encoded" in form bodies: these carry slashes.
  const policy: IssuePolicy = { accessTtlS: options.accessTtlS ?? 3600, refresh: true, accessPrefix: '2/1001/at-', refreshPrefix: '2/1001/rt-' };

  // [oauth] "The API endpoint for user authorization is: GET https://app.asana.com/-/oauth_authorize"
  server.on('app.asana.com', 'GET', '/-/oauth_authorize', (req) => {
    const q = req.query;
    // [oauth] "If either the client_id or redirect_uri do not match, the user will simply see a plain-text error.
    // Otherwise, all errors will be sent back to the redirect_uri specified."
    if (q.get('client_id') !== client.clientId) return text(400, 'invalid_request: Unknown client_id.');
    const redirectUri = q.get('redirect_uri');
    if (redirectUri !== client.redirectUri) return text(400, 'invalid_request: The redirect_uri parameter does not match a valid redirect URL for this app.');
    const state = q.get('state');
    const fail = (error: string, description: string) => redirectBack(redirectUri, { error, error_description: description, state: state ?? undefined });
    // [oauth] response_type "(required) Must be either code or id_token, or ... code id_token"; only the code flow is emulated.
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'Only response_type=code is emulated.');
    // [oauth] state "(required)".
    if (!state) return fail('invalid_request', 'The state parameter is required.');
    // [oauth] #pkce-oauth-extension: "The code_challenge_method should be the string "S256""; [pkce-announcement] PKCE is optional.
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method');
    if ((challenge && method !== 'S256') || (!challenge && method))
      return fail('invalid_request', 'code_challenge_method must be S256, with a code_challenge.');
    // [oauth] scope: "If no scopes are specified, the default OAuth scope will be used—provided the app was originally
    // registered with Full permissions"; #troubleshooting: the forbidden_scopes error is shown on the authorization page.
    const asked = (q.get('scope') ?? '').split(' ').filter(Boolean);
    let scopes: string[];
    if (registered === 'full') {
      const specific = asked.filter((scope) => scope !== 'default');
      // #troubleshooting "When Full permissions is enabled, you cannot request specific scopes."
      if (specific.length) return text(400, `forbidden_scopes: Your app is not allowed to request user authorization for '${specific.join(' ')}' scopes.`);
      scopes = ['default'];
    } else {
      // [oauth] "Apps with registered scopes must specify scopes at the authorization endpoint"; "You may request a subset".
      if (!asked.length || asked.includes('default'))
        return text(400, 'forbidden_scopes: Your app is not allowed to request user authorization for default identity scopes');
      const forbidden = asked.filter((scope) => !registered.has(scope) || !KNOWN_SCOPES.has(scope));
      if (forbidden.length) return text(400, `forbidden_scopes: Your app is not allowed to request user authorization for '${forbidden.join(' ')}' scopes.`);
      scopes = asked;
    }
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Asana - Grant permission</title>', 'text/html; charset=utf-8');
    // [oauth] "The user then sees a screen giving them the opportunity to accept or reject ... In either case, the user
    // will be redirected back to the redirect_uri"; a rejection is RFC 6749 §4.1.2.1 access_denied.
    if (!consent.approved) return fail('access_denied', 'The user denied the request.');
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      redirectUri,
      challenge: challenge ? { value: challenge, method: 'S256' } : undefined,
    });
    // [oauth] "https://my.app.com?code=325797325&state=thisIsARandomString"
    return redirectBack(redirectUri, { code, state });
  });

  // [oauth] "The API endpoint for token exchange is: POST https://app.asana.com/-/oauth_token"
  server.on('app.asana.com', 'POST', '/-/oauth_token', (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(params, auth));
  });

  function tokenEndpoint(params: URLSearchParams | undefined, auth: ClientAuthentication): EmulatorAnswer {
    // [oauth] "passing the parameters as part of a standard form-encoded POST body (i.e., ... 'Content-Type: application/x-www-form-urlencoded')"
    if (!params) return json(400, { error: 'invalid_request', error_description: 'The request body must be form-encoded.' });
    // [oauth] client_id and client_secret "(required)" body parameters; HTTP Basic is not documented, so it is refused.
    if (auth.method !== 'client_secret_post')
      return json(401, { error: 'invalid_client', error_description: 'client_id and client_secret must be sent in the request body.' });
    if (auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret)
      return json(401, { error: 'invalid_client', error_description: 'The client credentials are invalid.' });
    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') {
      // [oauth] "exchange the refresh token for a new access token. This can be repeated for as long as the user has
      // authorized the application": the refresh token does not rotate, and the answer carries no new one.
      const renewed = grants.refresh(params.get('refresh_token') ?? undefined, { clientId: auth.clientId, rotate: false, reuse: 'reject', policy });
      if (isRefusal(renewed)) return json(400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or has been deauthorized.' });
      const record = grants.accessTokens.get(renewed.accessToken)!;
      return tokenAnswer(renewed, record.grant.account);
    }
    if (grantType !== 'authorization_code')
      return json(400, { error: 'unsupported_grant_type', error_description: 'grant_type must be authorization_code or refresh_token.' });
    // [oauth] redirect_uri "(required) Must match the redirect_uri specified in the original request".
    const redirectUri = params.get('redirect_uri') ?? undefined;
    if (redirectUri === undefined) return json(400, { error: 'invalid_request', error_description: 'The redirect_uri parameter is required.' });
    // [oauth] code_verifier "the string previously used to generate the code_challenge"; "Asana confirms that hashing the
    // code_verifier with the code_challenge_method results in the code_challenge".
    const issued = grants.redeemCode(params.get('code') ?? undefined, {
      clientId: auth.clientId,
      redirectUri,
      verifier: params.get('code_verifier') ?? undefined,
      redirectUriRequired: true,
    });
    if (isRefusal(issued)) return json(400, { error: 'invalid_grant', error_description: `The authorization code is invalid: ${issued.reason}.` });
    return tokenAnswer(grants.issueTokens(issued.grant, policy, issued), issued.grant.account);
  }

  // [oauth] "The endpoint for revoking a token is: POST https://app.asana.com/-/oauth_revoke"
  server.on('app.asana.com', 'POST', '/-/oauth_revoke', (req) => {
    const params = formOf(req);
    // [oauth] client_id, client_secret and token "(required)" in "a standard form-encoded POST body"; "An unsuccessful
    // response with a 400 status code will be returned if the request was malformed due to missing any required fields".
    const id = params?.get('client_id');
    const secret = params?.get('client_secret');
    const token = params?.get('token');
    if (!params || !id || !secret || !token)
      return json(400, { error: 'invalid_request', error_description: 'client_id, client_secret and token are required in a form-encoded body.' });
    if (id !== client.clientId || secret !== client.clientSecret)
      return json(401, { error: 'invalid_client', error_description: 'The client credentials are invalid.' });
    // [oauth] token "The refresh token that should be deauthorized. Access tokens (i.e., bearer tokens) will be rejected";
    // a 400 comes back "due to an invalid token (such as a bearer token)".
    if (grants.accessTokens.has(token))
      return json(400, { error: 'invalid_request', error_description: 'Bearer tokens cannot be deauthorized; send the refresh token.' });
    // [oauth] "which will cause the refresh token and any associated bearer tokens to be deauthorized";
    // "A successful response with a 200 status code indicates that the token was deauthorized or not found."
    const record = grants.refreshTokens.get(token);
    if (record && record.grant.clientId === client.clientId) grants.revokeGrantOf(token);
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' };
  });

  // [getuser] GET /users/{user_gid}, with "me" for the authenticated user.
  server.on('app.asana.com', 'GET', '/api/1.0/users/me', (req) => {
    const presented = bearerOf(req);
    const record = grants.liveAccessToken(presented);
    if (!record) {
      const known = presented ? grants.accessTokens.get(presented) : undefined;
      // [oauth] #token-expiration: the message an expired bearer token gets; [errors] 401 otherwise.
      const expired = known && !known.revoked && !known.grant.revoked && known.expiresAt !== undefined && known.expiresAt <= Date.now();
      const message = expired
        ? 'The bearer token has expired. If you have a refresh token, please use it to request a new bearer token, otherwise allow the user to re-authenticate.'
        : 'Not Authorized';
      return json(401, { errors: [{ message, help: HELP }] });
    }
    // [oauth] #oauth-scopes: users:read "Access user information like email and profile picture"; without it, 403.
    if (!record.scopes.includes('default') && !record.scopes.includes('users:read')) {
      return json(403, { errors: [{ message: 'This request requires the users:read scope, which the token does not have.', help: HELP }] });
    }
    const { account } = record.grant;
    return json(200, {
      data: {
        gid: account.id,
        resource_type: 'user',
        name: account.name,
        email: account.email,
        photo: null,
        workspaces: [{ gid: '1200', resource_type: 'workspace', name: 'Example Workspace' }],
      },
    });
  });

  return {
    preset: 'asana',
    docs: ASANA_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: true, expires: true, revocation: true },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/** [oauth] #token-exchange-endpoint, Response: access_token, expires_in, token_type "bearer", data {id, gid, name, email}, refresh_token. */
function tokenAnswer(tokens: IssuedTokens, account: EmulatedAccount): EmulatorAnswer {
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    expires_in: tokens.expiresIn,
    token_type: 'bearer',
    data: { id: Number(account.id), gid: account.id, name: account.name, email: account.email },
  };
  if (tokens.refreshToken) body.refresh_token = tokens.refreshToken;
  return json(200, body);
}

export { ACCOUNTS };
