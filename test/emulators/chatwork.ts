/**
 * Chatwork, emulated from its documentation:
 * - [oauth] https://developer.chatwork.com/docs/oauth (Japanese; the English edition carries the same sections:
 *   "1. Client registration", "2. Obtaining an authorization code", "3. Generating or regenerating an access token",
 *   "4. Accessing a Chatwork API", "Regarding the offline_access scope", "Regarding PKCE",
 *   "Appendix A. List of Scopes", "Appendix B. List of errors that can occur during authorization")
 * - [get-me] https://developer.chatwork.com/reference/get-me
 * - [endpoints] https://developer.chatwork.com/docs/endpoints (API errors: `{"errors": [...]}`)
 *
 * One confidential client (only those may ask `offline_access`), registered with the app's
 * redirect URI, and with more when `alsoRegistered` lists them. The token endpoint takes HTTP
 * Basic client authentication and nothing else. Authorization codes live one minute. Access tokens
 * are short-lived; the refresh token lives 14 days, or indefinitely with `offline_access`, and the
 * refresh answer carries it again. No revocation endpoint is documented.
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
  type EmulatorAnswer,
  type EmulatorOptions,
  type Grant,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const CHATWORK_DOCS = [
  'https://developer.chatwork.com/docs/oauth',
  'https://developer.chatwork.com/reference/get-me',
  'https://developer.chatwork.com/docs/endpoints',
];

/** [oauth] Appendix A: List of Scopes. */
const KNOWN_SCOPES = new Set([
  'offline_access',
  'users.all:read',
  'users.profile.me:read',
  'users.status.me:read',
  'users.tasks.me:read',
  'rooms.all:read_write',
  'rooms.all:read',
  'rooms.all:write',
  'rooms:write',
  'rooms.info:read',
  'rooms.info:write',
  'rooms.members:read',
  'rooms.members:write',
  'rooms.messages:read',
  'rooms.messages:write',
  'rooms.tasks:read',
  'rooms.tasks:write',
  'rooms.files:read',
  'contacts.all:read_write',
  'contacts.all:read',
  'contacts.all:write',
]);

/** [oauth] code_challenge / code_verifier: "String length should be 43 to 128 characters"; "should correspond to [a-zA-Z0-9-._~]+". */
const PKCE_STRING = /^[a-zA-Z0-9\-._~]{43,128}$/;

/** [oauth] "code: Authorization code with a validity period of 1 minute". */
const CODE_TTL_MS = 60_000;

/** [oauth] refresh_token "The validity period is 14 days. (However, this is subject to change)". */
const REFRESH_TTL_S = 14 * 24 * 3600;

const HTML = 'text/html; charset=utf-8';

export async function startChatworkEmulator(options: EmulatorOptions & { alsoRegistered?: string[] }): Promise<ProviderEmulator> {
  const { client } = options;
  // [oauth] 1. Client registration: redirect URIs "Register at least one ... You can register up to five".
  const registered = [client.redirectUri, ...(options.alsoRegistered ?? [])];
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  const codeIssuedAt = new Map<string, number>();
  // [oauth] access_token "The validity period is 15 minutes" (the edition read for this emulator; expires_in is authoritative).
  const accessTtlS = options.accessTtlS ?? 900;
  // [oauth] "Regarding the offline_access scope": "When the offline_access scope is specified, the refresh token remains
  // valid indefinitely, unless it is revoked"; otherwise "after a certain period of time a refresh token will become unavailable".
  const policyFor = (grant: Grant): IssuePolicy => ({
    accessTtlS,
    refresh: true,
    refreshTtlS: grant.scopes.includes('offline_access') ? undefined : REFRESH_TTL_S,
    accessPrefix: 'cw-at-',
    refreshPrefix: 'cw-rt-',
  });

  // [oauth] 2. "The consent screen is displayed after you set the necessary query parameters and access the consent
  // screen (URL: https://www.chatwork.com/packages/oauth2/login.php)". Appendix B lists the errors it shows; none is
  // about an unknown parameter (OpenID Connect's `prompt`, say), which is ignored.
  server.on('www.chatwork.com', 'GET', '/packages/oauth2/login.php', (req) => {
    const q = req.query;
    const refuse = (code: number, description: string) => text(400, `<!doctype html><title>Chatwork</title><p>${code}: ${description}</p>`, HTML);
    // [oauth] response_type "Currently, only “code” is supported." Appendix B 1001, 4001, 4002.
    const responseType = q.get('response_type');
    if (!responseType) return refuse(1001, '`response_type` parameter is missing.');
    if (responseType === 'token') return refuse(4001, '`token` response type is not supported.');
    if (responseType !== 'code') return refuse(4002, `\`${responseType}\` response type is unknown.`);
    // Appendix B 11000; an unregistered client cannot be redirected to either.
    const clientId = q.get('client_id');
    if (!clientId) return refuse(11000, '`client_id` is missing.');
    if (clientId !== client.clientId) return refuse(11000, 'The client is not registered.');
    // [oauth] redirect_uri "This is required if more than one redirect_uri is set, but optional if only one redirect_uri is set."
    // Appendix B 13000, 14000, 15000.
    const asked = q.get('redirect_uri');
    if (asked === null && registered.length > 1) return refuse(13000, '`redirect_uri` is missing.');
    if (asked !== null && !isAbsoluteUrl(asked)) return refuse(14000, 'The redirect URI is malformed.');
    if (asked !== null && !registered.includes(asked)) return refuse(15000, 'The redirect URI is unregistered.');
    const redirectUri = asked ?? registered[0];
    // [oauth] scope (required); Appendix B 5001, 5002.
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.length) return refuse(5001, 'Scope is missing.');
    if (scopes.some((scope) => !KNOWN_SCOPES.has(scope))) return refuse(5002, 'The scope is unknown.');
    // [oauth] code_challenge_method "S256" should be specified as a fixed value in order to use code_challenge.
    // Appendix B 18000, 19000.
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method');
    if ((challenge !== null || method !== null) && method !== 'S256') return refuse(18000, '`code_challenge_method` is unsupported.');
    if (method !== null && (challenge === null || !PKCE_STRING.test(challenge))) return refuse(19000, '`code_challenge` is malformed.');
    const state = q.get('state') ?? undefined;
    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Chatwork - アクセス許可</title>', HTML);
    // [oauth] "Denying authorization": redirected to redirect_uri with error=access_denied and the state.
    if (!consent.approved) return redirectBack(redirectUri, { error: 'access_denied', state });
    const code = grants.issueCode({
      clientId: client.clientId,
      account: consent.account,
      scopes,
      // The URI the code is bound to, given or implied by a single registration (checked at the token endpoint).
      redirectUri,
      challenge: challenge ? { value: challenge, method: 'S256' } : undefined,
      prefix: 'cw-code-',
    });
    codeIssuedAt.set(code, Date.now());
    // [oauth] "Generating the authorization code": redirected to redirect_uri with code and state.
    return redirectBack(redirectUri, { code, state });
  });

  // [oauth] 3. "Use HTTP POST to access the following endpoint. https://oauth.chatwork.com/token"
  server.on('oauth.chatwork.com', 'POST', '/token', (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(params, auth));
  });

  function tokenEndpoint(params: URLSearchParams | undefined, auth: ClientAuthentication): EmulatorAnswer {
    // [oauth] "Format of the request body: application/x-www-form-urlencoded"
    if (!params) return tokenError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.');
    // [oauth] "Authentication: In accordance with Basic Authentication, specify the client ID as the user name and the
    // client secret as the password"; the body parameters carry neither, so credentials in the body are refused.
    if (auth.method !== 'client_secret_basic') return tokenError(401, 'invalid_client', 'Client authentication must use HTTP Basic.');
    if (auth.clientId !== client.clientId || auth.clientSecret !== client.clientSecret)
      return tokenError(401, 'invalid_client', 'Client authentication failed.');
    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') {
      // [oauth] refresh_token (required); scope (optional), e.g. users.profile.me:read.
      const presented = params.get('refresh_token') ?? undefined;
      const record = presented ? grants.refreshTokens.get(presented) : undefined;
      const narrowed = (params.get('scope') ?? '').split(' ').filter(Boolean);
      if (record && narrowed.some((scope) => !record.grant.scopes.includes(scope)))
        return tokenError(400, 'invalid_scope', 'The scope exceeds the granted scope.');
      // Rotation is not documented: the refresh token stays, and "Response body (identical whether a token is being
      // generated or regenerated)" carries it again.
      const renewed = grants.refresh(presented, {
        clientId: auth.clientId,
        rotate: false,
        reuse: 'reject',
        policy: record ? policyFor(record.grant) : { accessTtlS, refresh: true },
      });
      if (isRefusal(renewed)) return tokenError(400, 'invalid_grant', 'The refresh token is invalid or expired.');
      return tokenAnswer({ ...renewed, refreshToken: presented });
    }
    if (grantType !== 'authorization_code') return tokenError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
    const code = params.get('code') ?? undefined;
    // [oauth] "code: Authorization code with a validity period of 1 minute"
    const issuedAt = code ? codeIssuedAt.get(code) : undefined;
    if (issuedAt !== undefined && Date.now() - issuedAt > CODE_TTL_MS) return tokenError(400, 'invalid_grant', 'The authorization code has expired.');
    // [oauth] redirect_uri "Specify the value that was specified when the consent screen is displayed ... required if
    // more than one redirect_uri is set, but optional if only one redirect_uri is set."
    const given = params.get('redirect_uri') ?? undefined;
    if (given === undefined && registered.length > 1) return tokenError(400, 'invalid_request', '`redirect_uri` is missing.');
    // [oauth] code_verifier "required if code_challenge and code_challenge_method when authorization request";
    // Appendix B 20000 "`code_verifier` is malformed".
    const verifier = params.get('code_verifier') ?? undefined;
    if (verifier !== undefined && !PKCE_STRING.test(verifier)) return tokenError(400, 'invalid_request', '`code_verifier` is malformed.');
    const issued = grants.redeemCode(code, { clientId: auth.clientId, redirectUri: given ?? registered[0], verifier, redirectUriRequired: true });
    if (isRefusal(issued)) return tokenError(400, 'invalid_grant', `The authorization grant is invalid (${issued.reason}).`);
    return tokenAnswer(grants.issueTokens(issued.grant, policyFor(issued.grant), issued));
  }

  // [get-me] GET https://api.chatwork.com/v2/me; [oauth] 4. "use the Bearer authentication scheme to set the access token".
  server.on('api.chatwork.com', 'GET', '/v2/me', (req) => {
    const record = grants.liveAccessToken(bearerOf(req));
    // [oauth] "Errors: When the access token has been revoked or is invalid, error information is set in the
    // www-authenticate header field"; [endpoints] the body lists the errors.
    if (!record) {
      return json(401, { errors: ['Invalid API token'] }, { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' });
    }
    // [oauth] Appendix A: GET /me needs users.profile.me:read (or users.all:read, which includes it); RFC 6750 §3.1.
    if (!record.scopes.includes('users.profile.me:read') && !record.scopes.includes('users.all:read')) {
      return json(403, { errors: ['Insufficient scope'] }, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="users.profile.me:read"' });
    }
    const { account } = record.grant;
    return json(200, {
      account_id: Number(account.id),
      room_id: 322,
      name: account.name,
      chatwork_id: account.login,
      organization_id: 101,
      organization_name: 'Example Inc.',
      department: '',
      title: '',
      url: '',
      introduction: '',
      mail: account.email,
      tel_organization: '',
      tel_extension: '',
      tel_mobile: '',
      skype: '',
      facebook: '',
      twitter: '',
      avatar_image_url: 'https://appdata.chatwork.com/avatar/ico_default_blue.png',
      login_mail: account.email,
    });
  });

  return {
    preset: 'chatwork',
    docs: CHATWORK_DOCS,
    server,
    settings: {},
    behaviour: { refreshes: true, expires: true, revocation: false },
    tokenCalls,
    ...lifecycleOf(grants, server),
  };
}

/** [oauth] Response: "application/json"; fields access_token, refresh_token, token_type "Bearer", expires_in (seconds), scope. */
function tokenAnswer(tokens: IssuedTokens): EmulatorAnswer {
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    scope: tokens.scopes.join(' '),
  };
  if (tokens.refreshToken) body.refresh_token = tokens.refreshToken;
  return json(200, body, { pragma: 'no-cache' });
}

/** [oauth] error, error_description, and error_uri "Currently always null". */
function tokenError(status: number, error: string, description: string): EmulatorAnswer {
  const headers: Record<string, string> = { pragma: 'no-cache' };
  if (status === 401) headers['www-authenticate'] = 'Basic realm="oauth.chatwork.com"';
  return json(status, { error, error_description: description, error_uri: null }, headers);
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return Boolean(new URL(value).protocol);
  } catch {
    return false;
  }
}

export { ACCOUNTS };
