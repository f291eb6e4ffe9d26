/**
 * GitHub, emulated from its documentation:
 * - [authorize] https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * - [errors-authorize] https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-authorization-request-errors
 * - [errors-token] https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 * - [refresh] https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 * - [delete-token] https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
 * - [user] https://docs.github.com/en/rest/users/users#get-the-authenticated-user
 * - [user-agent] https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
 *
 * Two variants: an OAuth app (tokens that never expire, no refresh token, no id_token), and a
 * GitHub App's expiring user tokens (8-hour `ghu_` access tokens, 6-month one-time `ghr_` refresh
 * tokens).
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
  formAnswer,
  formOf,
  isRefusal,
  json,
  jsonOf,
  jsonParams,
  recordTokenCall,
  redirectBack,
  text,
  type EmulatorAnswer,
  type EmulatorOptions,
  type EmulatorRequest,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const GITHUB_DOCS = [
  'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
  'https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token',
  'https://docs.github.com/en/rest/users/users#get-the-authenticated-user',
];

/** [authorize] scopes are listed at https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps; a few suffice here. */
const KNOWN_SCOPES = new Set(['repo', 'read:user', 'user:email', 'user', 'gist', 'read:org']);

export async function startGitHubEmulator(options: EmulatorOptions & { variant?: 'oauth-app' | 'expiring-user-tokens' }): Promise<ProviderEmulator> {
  const { client } = options;
  const expiring = options.variant === 'expiring-user-tokens';
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [refresh] "expires_in: The number of seconds until access_token expires … 28800 (8 hours)";
  // "refresh_token_expires_in … 15897600 (6 months)". OAuth apps' tokens have no expiry at all.
  const policy: IssuePolicy = expiring
    ? { accessTtlS: options.accessTtlS ?? 28_800, refresh: true, refreshTtlS: 15_897_600, accessPrefix: 'ghu_', refreshPrefix: 'ghr_' }
    : { refresh: false, accessPrefix: 'gho_' };

  // [authorize] 1. Request a user's GitHub identity: GET https://github.com/login/oauth/authorize
  server.on('github.com', 'GET', '/login/oauth/authorize', (req) => {
    const q = req.query;
    // [errors-authorize] "If the client_id … is not valid": a 404 page, no redirect.
    if (q.get('client_id') !== client.clientId) return text(404, 'Not Found', 'text/html; charset=utf-8');
    // [authorize] redirect_uri: "must match the callback URL … host and port must exactly match";
    // [errors-authorize] a mismatch redirects with error=redirect_uri_mismatch to the registered URL.
    const redirectUri = q.get('redirect_uri') ?? client.redirectUri;
    if (redirectUri !== client.redirectUri) {
      return redirectBack(client.redirectUri, {
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        state: q.get('state') ?? undefined,
      });
    }
    // [authorize] code_challenge_method: "Must be S256. The plain code challenge method is not supported."
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method');
    if ((challenge && method !== 'S256') || (!challenge && method)) return text(400, 'invalid code_challenge_method', 'text/html; charset=utf-8');
    if (challenge && !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return text(400, 'invalid code_challenge', 'text/html; charset=utf-8');
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Sign in to GitHub</title>', 'text/html; charset=utf-8');
    // [errors-authorize] "If the user rejects access to your app, GitHub will redirect to the registered callback URL with error=access_denied".
    if (!consent.approved) {
      return redirectBack(redirectUri, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
        state: q.get('state') ?? undefined,
      });
    }
    // [authorize] scope: a space-delimited list; unknown scopes are dropped, so granted may be narrower.
    const asked = (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
    const scopes = expiring ? [] : asked.filter((scope) => KNOWN_SCOPES.has(scope));
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      redirectUri: q.get('redirect_uri') ?? undefined,
      challenge: challenge ? { value: challenge, method: 'S256' } : undefined,
    });
    // [authorize] "redirects back to your site with a temporary code in a code parameter as well as the state".
    return redirectBack(redirectUri, { code, state: q.get('state') ?? undefined });
  });

  // [authorize] 2. POST https://github.com/login/oauth/access_token; [refresh] the same endpoint refreshes.
  server.on('github.com', 'POST', '/login/oauth/access_token', (req) => {
    const params = formOf(req) ?? jsonParams(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(req, params, auth));
  });

  function tokenEndpoint(req: EmulatorRequest, params: URLSearchParams | undefined, auth: ReturnType<typeof clientAuthOf>): EmulatorAnswer {
    if (!params) return text(415, 'Unsupported Media Type');
    // [authorize] client_id and client_secret are parameters of the request; HTTP Basic is not the
    // documented way, so a strict emulator refuses it.
    if (auth.method !== 'client_secret_post' || auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret) {
      return tokenError(req, 'incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    }
    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') {
      // [refresh] only GitHub Apps with expiring user tokens can refresh.
      if (!expiring) return tokenError(req, 'bad_refresh_token', 'The refresh token passed is incorrect or expired.');
      // [refresh] "Once you use a refresh token, that refresh token and the old user access token will no longer work."
      const renewed = grants.refresh(params.get('refresh_token') ?? undefined, {
        clientId: auth.clientId,
        rotate: true,
        reuse: 'reject',
        policy,
        retireAccessTokens: true,
      });
      if (isRefusal(renewed)) return tokenError(req, 'bad_refresh_token', 'The refresh token passed is incorrect or expired.');
      return tokenAnswer(req, renewed);
    }
    if (grantType !== null && grantType !== 'authorization_code') return tokenError(req, 'unsupported_grant_type', 'The grant type is not supported.');
    // [errors-token] redirect_uri_mismatch: "If you provide a redirect_uri that doesn't match what you've registered".
    const redirectUri = params.get('redirect_uri') ?? undefined;
    if (redirectUri !== undefined && redirectUri !== client.redirectUri) {
      return tokenError(req, 'redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    }
    const issued = grants.redeemCode(params.get('code') ?? undefined, {
      clientId: auth.clientId,
      redirectUri,
      verifier: params.get('code_verifier') ?? undefined,
      redirectUriRequired: false,
    });
    // [errors-token] bad_verification_code: "the verification code you passed is incorrect, expired, or doesn't match".
    if (isRefusal(issued)) return tokenError(req, 'bad_verification_code', 'The code passed is incorrect or expired.');
    return tokenAnswer(req, grants.issueTokens(issued.grant, policy, issued));
  }

  // [delete-token] DELETE /applications/{client_id}/token, Basic auth with the OAuth app's client_id
  // and client_secret, JSON body {"access_token"}; 204 on success, 422 when validation fails, 404 otherwise.
  server.on('api.github.com', 'DELETE', /^\/applications\/[^/]+\/token$/, (req) => {
    const clientId = decodeURIComponent(req.path.split('/')[2]);
    const auth = clientAuthOf(req, undefined);
    if (auth.method !== 'client_secret_basic' || auth.clientId !== clientId || clientId !== client.clientId || auth.clientSecret !== client.clientSecret) {
      return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token', status: '404' });
    }
    const token = jsonOf(req)?.access_token;
    if (typeof token !== 'string' || !grants.accessTokens.has(token)) {
      return json(422, {
        message: 'Validation Failed',
        documentation_url: 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token',
        status: '422',
      });
    }
    grants.revokeGrantOf(token);
    return { status: 204 };
  });

  // [user] GET /user; [user-agent] "Requests with no User-Agent header will be rejected."
  server.on('api.github.com', 'GET', '/user', (req) => {
    if (!req.headers['user-agent']) {
      return text(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
      );
    }
    const record = grants.liveAccessToken(bearerOf(req) ?? tokenFromHeader(req));
    if (!record) return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const { account } = record.grant;
    return json(
      200,
      { login: account.login, id: Number(account.id), name: account.name, email: account.email, type: 'User' },
      { 'x-oauth-scopes': record.scopes.join(', ') },
    );
  });

  return {
    preset: 'github',
    docs: GITHUB_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: expiring, expires: expiring, revocation: true },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/** [authorize] "By default, the response takes the following form … Accept: application/json" gives JSON. */
function tokenAnswer(req: EmulatorRequest, tokens: IssuedTokens): EmulatorAnswer {
  const fields: Record<string, string> = { access_token: tokens.accessToken, scope: tokens.scopes.join(','), token_type: 'bearer' };
  if (tokens.expiresIn !== undefined) fields.expires_in = String(tokens.expiresIn);
  if (tokens.refreshToken) fields.refresh_token = tokens.refreshToken;
  if (tokens.refreshExpiresIn !== undefined) fields.refresh_token_expires_in = String(tokens.refreshExpiresIn);
  if (!wantsJson(req)) return formAnswer(200, fields);
  const numeric = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, k.endsWith('expires_in') ? Number(v) : v]));
  return json(200, numeric);
}

/** [errors-token] errors come with HTTP 200, in the format the Accept header asked for. */
function tokenError(req: EmulatorRequest, error: string, description: string): EmulatorAnswer {
  const fields = {
    error,
    error_description: description,
    error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, '-')}`,
  };
  return wantsJson(req) ? json(200, fields) : formAnswer(200, fields);
}

function wantsJson(req: EmulatorRequest): boolean {
  return String(req.headers.accept ?? '').includes('application/json');
}

/** The REST API also takes `Authorization: token <token>` ([user] examples use Bearer). */
function tokenFromHeader(req: EmulatorRequest): string | undefined {
  return /^token\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
}

export { ACCOUNTS };
