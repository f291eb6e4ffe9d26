/**
 * Slack, emulated from its documentation (user tokens of a granular-permission app):
 * - [install] https://docs.slack.dev/authentication/installing-with-oauth
 * - [access] https://docs.slack.dev/reference/methods/oauth.v2.access
 * - [rotation] https://docs.slack.dev/authentication/using-token-rotation
 * - [revoke] https://docs.slack.dev/reference/methods/auth.revoke
 * - [test] https://docs.slack.dev/reference/methods/auth.test
 * - [web-api] https://docs.slack.dev/apis/web-api/ (passing tokens; `ok: false` errors in HTTP 200)
 * - [sdk-rotator] https://github.com/slackapi/python-slack-sdk/blob/main/slack_sdk/oauth/token_rotation/rotator.py
 *   (Slack's own SDK: where a refreshed user token sits in the oauth.v2.access answer)
 *
 * Two variants: token rotation off (one `xoxp-` user token that never expires, no refresh token)
 * and on (`xoxe.xoxp-` user tokens expiring in 12 hours, single-use `xoxe-1-` refresh tokens).
 * Every error is `{"ok": false, "error": "<code>"}` in an HTTP 200, as [web-api] and [access] show.
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
  type EmulatorAnswer,
  type EmulatorOptions,
  type EmulatorRequest,
  type Grant,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const SLACK_DOCS = [
  'https://docs.slack.dev/authentication/installing-with-oauth',
  'https://docs.slack.dev/reference/methods/oauth.v2.access',
  'https://docs.slack.dev/authentication/using-token-rotation',
  'https://docs.slack.dev/reference/methods/auth.revoke',
  'https://docs.slack.dev/reference/methods/auth.test',
];

const TEAM = { id: 'T0EMULATED', name: 'Emulated Workspace', url: 'https://emulated-workspace.slack.com/' };
const APP_ID = 'A0EMULATED';

export async function startSlackEmulator(options: EmulatorOptions & { rotation?: boolean }): Promise<ProviderEmulator> {
  const { client } = options;
  const rotation = options.rotation ?? false;
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [rotation] "Without token rotation, the access token never expires. With token rotation, it
  // expires every 12 hours"; [access] rotation example: "access_token": "xoxe.xoxp-1234",
  // "expires_in": 43200, "refresh_token": "xoxe-1-...".
  const policy: IssuePolicy = rotation
    ? { accessTtlS: options.accessTtlS ?? 43_200, refresh: true, accessPrefix: 'xoxe.xoxp-1-', refreshPrefix: 'xoxe-1-' }
    : { refresh: false, accessPrefix: 'xoxp-' };

  // [install] "redirect Slack users to https://slack.com/oauth/v2/authorize"; bot scopes in `scope`,
  // user scopes in `user_scope`, comma-separated.
  server.on('slack.com', 'GET', '/oauth/v2/authorize', (req) => {
    const q = req.query;
    if (q.get('client_id') !== client.clientId) return errorPage('Invalid client_id parameter');
    // [install] "Your redirect_uri must match or be a subdirectory of a Redirect URL configured under
    // App Management"; without one, "the OAuth flow will use the first Redirect URL listed".
    const asked = q.get('redirect_uri') ?? undefined;
    if (asked !== undefined && !withinRedirectUrl(asked, client.redirectUri)) return errorPage('redirect_uri did not match any configured URIs');
    const redirectUri = asked ?? client.redirectUri;
    const userScopes = (q.get('user_scope') ?? '').split(',').filter(Boolean);
    const botScopes = (q.get('scope') ?? '').split(',').filter(Boolean);
    // [install] `user_scope` "instead of, or in addition to, the `scope` parameter"; this app asks for no bot.
    if (!userScopes.length && !botScopes.length) return errorPage('Invalid permissions requested');
    // PKCE is opt-in per app (the preset's note, changelog 2026-03-30); S256 only here.
    const challenge = q.get('code_challenge');
    if (challenge && q.get('code_challenge_method') !== 'S256') return errorPage('Invalid code_challenge_method');
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Sign in to Slack</title>', 'text/html; charset=utf-8');
    // [install] Denied requests: "Slack redirects back to your redirect_uri with an error parameter": error=access_denied.
    if (!consent.approved) return redirectBack(redirectUri, { error: 'access_denied', state: q.get('state') ?? undefined });
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes: userScopes,
      redirectUri: asked,
      challenge: challenge ? { value: challenge, method: 'S256' } : undefined,
      extra: { botScopes: botScopes.join(',') },
    });
    // [install] "Slack redirects the user back to your specified Redirect URL" with `code` and `state`.
    return redirectBack(redirectUri, { code, state: q.get('state') ?? undefined });
  });

  // [access] POST https://slack.com/api/oauth.v2.access; content types form and JSON.
  server.on('slack.com', 'POST', '/api/oauth.v2.access', (req) => {
    const params = formOf(req) ?? jsonParams(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(req, params, auth));
  });

  function tokenEndpoint(req: EmulatorRequest, params: URLSearchParams | undefined, auth: ReturnType<typeof clientAuthOf>): EmulatorAnswer {
    // [access] errors: missing_post_type "included a data payload, but the request did not include a
    // Content-Type header"; invalid_post_type for other types.
    if (!params) return slackError(req.body && !req.headers['content-type'] ? 'missing_post_type' : 'invalid_post_type');
    // [access] client_id/client_secret: "avoid sending [them] as parameters in your request and instead
    // supply the Client ID and Client Secret using the HTTP Basic authentication scheme": both ways
    // are documented, so both are accepted; nothing else is.
    if (auth.method === 'both' && params.get('client_id') !== null && params.get('client_id') !== auth.clientId) return slackError('invalid_client_id');
    if (auth.clientId !== client.clientId) return slackError('invalid_client_id');
    const pkcePublic = auth.method === 'none';
    if (!pkcePublic && auth.clientSecret !== client.clientSecret) return slackError('bad_client_secret');
    if (auth.method === 'both' && params.get('client_secret') !== auth.clientSecret) return slackError('bad_client_secret');

    const grantType = params.get('grant_type') ?? 'authorization_code';
    if (grantType === 'refresh_token') {
      // [rotation] refresh tokens exist only with rotation on; "The refresh token is then revoked, and
      // a new refresh token is used" (single use; a spent one is refused, not the whole grant).
      const presented = params.get('refresh_token') ?? undefined;
      const record = presented ? grants.refreshTokens.get(presented) : undefined;
      if (!rotation || !record || (pkcePublic && record.grant.extra.pkce !== 'true')) return slackError('invalid_refresh_token');
      const renewed = grants.refresh(presented, { clientId: auth.clientId, rotate: true, reuse: 'reject', policy });
      if (isRefusal(renewed)) return slackError('invalid_refresh_token');
      return json(200, refreshAnswer(record.grant, renewed));
    }
    // [access] invalid_grant_type: "Value passed for grant_type was invalid."
    if (grantType !== 'authorization_code') return slackError('invalid_grant_type');
    // [install] "If you sent a redirect_uri field in the first step, you must send that same field
    // with the same value in this step" (bad_redirect_uri otherwise).
    const issued = grants.redeemCode(params.get('code') ?? undefined, {
      clientId: auth.clientId,
      redirectUri: params.get('redirect_uri') ?? undefined,
      verifier: params.get('code_verifier') ?? undefined,
      redirectUriRequired: true,
    });
    if (isRefusal(issued)) return slackError(issued.reason.startsWith('redirect_uri') ? 'bad_redirect_uri' : 'invalid_code');
    // A public (PKCE) client may leave the secret out only when the code was bound to a challenge.
    if (pkcePublic && !issued.challenge) return slackError('bad_client_secret');
    if (issued.challenge) issued.grant.extra.pkce = 'true';
    return json(200, codeAnswer(issued.grant, grants.issueTokens(issued.grant, policy, issued)));
  }

  // [revoke] "This method revokes an access token"; [test]/[revoke] token: "passed as an HTTP
  // Authorization header or alternatively, as a POST parameter"; success {"ok": true, "revoked": true}.
  server.on('slack.com', 'POST', '/api/auth.revoke', (req) => {
    const checked = checkToken(req);
    if ('error' in checked) return slackError(checked.error);
    // [revoke] test=1 "triggers a testing mode where the specified token will not actually be revoked".
    const testing = ['1', 'true'].includes(tokenParams(req)?.get('test') ?? req.query.get('test') ?? '');
    // Revoking the user token ends this user's authorization: with it goes the refresh token of the
    // same grant (Slack does not say otherwise; a refresh token of a revoked installation is useless).
    if (!testing) grants.revokeGrantOf(checked.token);
    return json(200, { ok: true, revoked: !testing });
  });

  // [test] POST https://slack.com/api/auth.test: "checks authentication and tells you who you are".
  server.on('slack.com', 'POST', '/api/auth.test', (req) => {
    const checked = checkToken(req);
    if ('error' in checked) return slackError(checked.error);
    const { account } = checked.grant;
    // [test] "Standard success response when used with a user token".
    return json(
      200,
      { ok: true, url: TEAM.url, team: TEAM.name, user: account.login, team_id: TEAM.id, user_id: slackUserId(account.id), is_enterprise_install: false },
      { 'x-oauth-scopes': checked.grant.scopes.join(',') },
    );
  });

  /** [web-api] common errors: not_authed (no token), invalid_auth (unknown), token_revoked, token_expired. */
  function checkToken(req: EmulatorRequest): { token: string; grant: Grant } | { error: string } {
    const token = bearerOf(req) ?? tokenParams(req)?.get('token') ?? undefined;
    if (!token) return { error: 'not_authed' };
    const record = grants.accessTokens.get(token);
    if (!record) return { error: 'invalid_auth' };
    if (record.revoked || record.grant.revoked) return { error: 'token_revoked' };
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return { error: 'token_expired' };
    return { token, grant: record.grant };
  }

  return {
    preset: 'slack',
    docs: SLACK_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: rotation, expires: rotation, revocation: true },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/**
 * [access] the code exchange: the user token nests under `authed_user`; the top level carries the
 * bot token only when bot scopes were asked for (the "Sign in with Slack" example has none).
 */
function codeAnswer(grant: Grant, tokens: IssuedTokens): Record<string, unknown> {
  const authedUser: Record<string, unknown> = {
    id: slackUserId(grant.account.id),
    scope: tokens.scopes.join(','),
    access_token: tokens.accessToken,
    token_type: 'user',
  };
  if (tokens.expiresIn !== undefined) authedUser.expires_in = tokens.expiresIn;
  if (tokens.refreshToken) authedUser.refresh_token = tokens.refreshToken;
  return { ok: true, app_id: APP_ID, authed_user: authedUser, team: { id: TEAM.id, name: TEAM.name }, enterprise: null, is_enterprise_install: false };
}

/**
 * [access] "When you use grant_type=refresh_token … this method refreshes an access token, whether
 * bot or user"; [sdk-rotator] reads a refreshed user token at the top level, marked token_type "user".
 */
function refreshAnswer(grant: Grant, tokens: IssuedTokens): Record<string, unknown> {
  return {
    ok: true,
    app_id: APP_ID,
    access_token: tokens.accessToken,
    token_type: 'user',
    scope: tokens.scopes.join(','),
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    user_id: slackUserId(grant.account.id),
    team: { id: TEAM.id, name: TEAM.name },
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** [web-api] "Callers should always check the value of the ok params": errors come in an HTTP 200. */
function slackError(error: string): EmulatorAnswer {
  return json(200, { ok: false, error });
}

function errorPage(message: string): EmulatorAnswer {
  return text(400, `<!doctype html><title>Slack</title><p>${message}</p>`, 'text/html; charset=utf-8');
}

/** [install] GOOD: the Redirect URL itself or a subdirectory of it, same scheme, host and port. */
function withinRedirectUrl(candidate: string, registered: string): boolean {
  let asked: URL;
  let base: URL;
  try {
    asked = new URL(candidate);
    base = new URL(registered);
  } catch {
    return false;
  }
  if (asked.hash || asked.origin !== base.origin) return false;
  const basePath = base.pathname.replace(/\/$/, '');
  return asked.pathname === base.pathname || asked.pathname.startsWith(`${basePath}/`);
}

function slackUserId(accountId: string): string {
  return `U${accountId}`;
}

function tokenParams(req: EmulatorRequest): URLSearchParams | undefined {
  return formOf(req) ?? jsonParams(req);
}

export { ACCOUNTS };
