/**
 * GitLab (gitlab.com or a self-managed instance), emulated from its documentation and, where the
 * documentation is silent, from the Doorkeeper gem it says it is built on ([oauth2]: "This
 * functionality is based on the doorkeeper Ruby gem"), at the version GitLab and Redmine pin (5.8):
 * - [oauth2] https://docs.gitlab.com/api/oauth2/
 * - [provider] https://docs.gitlab.com/integration/oauth_provider/ (scopes, token lifetime, authorized applications)
 * - [rest-auth] https://docs.gitlab.com/api/rest/authentication/
 * - [user] https://docs.gitlab.com/api/users/#get-the-current-user
 * - [oidc] https://docs.gitlab.com/integration/openid_connect_provider/
 * - [gl-doorkeeper] https://gitlab.com/gitlab-org/gitlab/-/blob/master/config/initializers/doorkeeper.rb
 * - [gl-tokens] https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/controllers/oauth/tokens_controller.rb
 * - [gl-guard] https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/api_guard.rb
 * - [dk-preauth] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/pre_authorization.rb
 * - [dk-authz] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/app/controllers/doorkeeper/authorizations_controller.rb
 * - [dk-code] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/authorization_code_request.rb
 * - [dk-refresh] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/refresh_token_request.rb
 * - [dk-tokens] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/app/controllers/doorkeeper/tokens_controller.rb
 * - [dk-credentials] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/client/credentials.rb
 * - [dk-token] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/token.rb
 * - [dk-errors] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/error_response.rb
 *   and https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/config/locales/en.yml
 * - [dk-uri] https://github.com/doorkeeper-gem/doorkeeper/blob/v5.8.2/lib/doorkeeper/oauth/helpers/uri_checker.rb
 * - [dk-oidc] https://github.com/doorkeeper-gem/doorkeeper-openid_connect/blob/master/lib/doorkeeper/openid_connect/oauth/authorization_code_request.rb
 *
 * The Doorkeeper part (authorization endpoint, token endpoint, revocation, token rows) is exported
 * as `DoorkeeperServer`: redmine.ts uses it too, with Redmine's configuration.
 */
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  EmulatorServer,
  clientAuthOf,
  consentOf,
  formOf,
  jsonOf,
  json,
  recordTokenCall,
  redirectBack,
  text,
  type EmulatedAccount,
  type EmulatorAnswer,
  type EmulatorOptions,
  type EmulatorRequest,
  type ProviderEmulator,
  type RegisteredClient,
  type TokenCall,
} from './kit';

export const GITLAB_DOCS = [
  'https://docs.gitlab.com/api/oauth2/',
  'https://docs.gitlab.com/integration/oauth_provider/',
  'https://docs.gitlab.com/api/rest/authentication/',
  'https://docs.gitlab.com/api/users/#get-the-current-user',
  'https://github.com/doorkeeper-gem/doorkeeper/tree/v5.8.2',
];

/** [provider] "View all authorized applications": the scopes a GitLab OAuth application can have. */
const GITLAB_SCOPES = new Set([
  'api',
  'read_api',
  'read_user',
  'create_runner',
  'manage_runner',
  'k8s_proxy',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'read_virtual_registry',
  'write_virtual_registry',
  'read_observability',
  'write_observability',
  'ai_features',
  'sudo',
  'admin_mode',
  'read_service_ping',
  'openid',
  'profile',
  'email',
]);

export async function startGitLabEmulator(options: EmulatorOptions & { site?: string }): Promise<ProviderEmulator> {
  const { client } = options;
  // gitlab.com is the preset's default; a self-managed instance is the app's "site" setting (it may
  // have a relative URL root such as https://example.com/gitlab).
  const site = new URL(options.site ?? 'https://gitlab.com');
  const host = site.host;
  const root = site.pathname.replace(/\/+$/, '');
  const issuer = `${site.origin}${root}`;
  const server = await EmulatorServer.start();
  const signer = new IdTokenSigner();

  const doorkeeper = new DoorkeeperServer({
    client,
    // [provider] "Select OAuth 2 Scopes": the admin registered the app with every scope; the
    // authorization request may ask only for a subset ([dk-preauth] validate_scopes).
    scopes: GITLAB_SCOPES,
    // [gl-doorkeeper] default_scopes(*Gitlab::Auth::DEFAULT_SCOPES): `api`.
    defaultScopes: ['api'],
    // [gl-doorkeeper] the realm is left at Doorkeeper's default.
    realm: 'Doorkeeper',
    // [provider] "Access tokens expire after two hours"; [gl-doorkeeper] access_token_expires_in 7200.
    accessTtlS: options.accessTtlS ?? 7200,
    // [oauth2] a refresh "Invalidates the existing access_token and refresh_token" at once. (The
    // source keeps Doorkeeper's previous_refresh_token, revoking the old pair only when the new
    // access token is first used; the documented, stricter contract is what is emulated here.)
    refreshRevokedOnUse: false,
    // [gl-doorkeeper] default_generator_method :hex; [oauth2] examples are 64 hex digits.
    tokenFormat: 'hex',
    // [dk-oidc] an id_token comes with the code exchange when the grant has the `openid` scope;
    // [oidc] signed RS256, keys at /oauth/discovery/keys.
    codeExchangeExtras: (row, grant): Record<string, string> =>
      row.scopes.includes('openid') ? { id_token: signer.idToken({ issuer, clientId: client.clientId, account: row.account, nonce: grant.nonce }) } : {},
  });

  // [oauth2] GET /oauth/authorize with client_id, redirect_uri, response_type=code, state, scope,
  // code_challenge, code_challenge_method.
  server.on(host, 'GET', `${root}/oauth/authorize`, (req) => doorkeeper.authorize(req, 'GitLab'));
  // [oauth2] POST /oauth/token: the code exchange and the refresh.
  server.on(host, 'POST', `${root}/oauth/token`, (req) => doorkeeper.token(req));
  // [oauth2] "Revoke a token": POST /oauth/revoke with client_id, client_secret and token; "returns
  // a 200 response code and an empty JSON hash". [gl-tokens] validate_presence_of_client: 403
  // unauthorized_client without the client (a self-managed instance with ROPC-without-credentials
  // skips that check, but a token of this app still needs this app's credentials, [dk-tokens] authorized?).
  server.on(host, 'POST', `${root}/oauth/revoke`, (req) => doorkeeper.revoke(req));
  // [oidc] the keys the id_token is signed with.
  server.on(host, 'GET', `${root}/oauth/discovery/keys`, () => json(200, { keys: [signer.publicJwk()] }));

  // [user] GET /api/v4/user; [rest-auth] the token as `Authorization: Bearer` or `access_token=`.
  server.on(host, 'GET', `${root}/api/v4/user`, (req) => {
    const { presented, row } = doorkeeper.authenticate(req);
    // [rest-auth] "If authentication information is not valid or is missing, GitLab returns an
    // error message with a status code of 401: {"message": "401 Unauthorized"}" (an unknown token).
    if (!presented || !row) return json(401, { message: '401 Unauthorized' });
    // [gl-guard] a known token that expired or was revoked: Rack::OAuth2 invalid_token, 401, with
    // WWW-Authenticate (AccessTokenValidationService checks expiry before revocation).
    if (row.expiresAt <= Date.now()) return invalidToken('Token is expired. You can either do re-authorization or token refresh.');
    if (row.revoked) return invalidToken('Token was revoked. You have to re-authorize from the user.');
    // [provider] read_user "Grants read-only access to the authenticated user's profile through the
    // /user API endpoint"; api and read_api cover every GET. [gl-guard] otherwise 403 insufficient_scope.
    if (!row.scopes.some((scope) => scope === 'api' || scope === 'read_api' || scope === 'read_user')) {
      return json(403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api read_api read_user' });
    }
    const { account } = row;
    return json(200, {
      id: Number(account.id),
      username: account.login,
      name: account.name,
      state: 'active',
      locked: false,
      avatar_url: `https://secure.gravatar.com/avatar/${createHash('sha256').update(account.email).digest('hex')}?s=80&d=identicon`,
      web_url: `${issuer}/${account.login}`,
      created_at: '2020-01-01T00:00:00.000Z',
      bio: '',
      public_email: null,
      email: account.email,
    });
  });

  return {
    preset: 'gitlab',
    docs: GITLAB_DOCS,
    server,
    settings: options.site ? { site: issuer } : {},
    behaviour: { refreshes: true, expires: true, revocation: true },
    tokenCalls: doorkeeper.tokenCalls,
    isAlive: (token) => doorkeeper.isAlive(token),
    expireAccessToken: (token) => doorkeeper.expireAccessToken(token),
    close: () => server.close(),
  };
}

function invalidToken(description: string): EmulatorAnswer {
  return json(401, { error: 'invalid_token', error_description: description }, { 'www-authenticate': `Bearer realm="The API", error="invalid_token", error_description="${description}"` });
}

// ------------------------------------------------------------------------------------------------
// Doorkeeper 5.8: what GitLab and Redmine share

/** [dk-errors] config/locales/en.yml, doorkeeper.errors.messages. */
export const DOORKEEPER_MESSAGES = {
  missingParam: (name: string) => `Missing required parameter: ${name}.`,
  invalid_redirect_uri: "The requested redirect uri is malformed or doesn't match client redirect URI.",
  unauthorized_client: 'The client is not authorized to perform this request using this method.',
  access_denied: 'The resource owner or authorization server denied the request.',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed.',
  invalid_code_challenge_method: 'The code_challenge_method must be one of plain, S256.',
  unsupported_response_type: 'The authorization server does not support this response type.',
  invalid_client: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  invalid_grant:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server.',
  token_revoked: 'The access token was revoked',
  token_expired: 'The access token expired',
  token_unknown: 'The access token is invalid',
  revoke_unauthorized: 'You are not authorized to revoke this token',
} as const;

export interface DoorkeeperConfig {
  client: RegisteredClient;
  /** Scopes the server knows and the application was registered with ([dk-preauth] validate_scopes). */
  scopes: ReadonlySet<string>;
  /** What an authorization request without `scope` gets ([dk-preauth] `scope`). */
  defaultScopes: readonly string[];
  /** Doorkeeper's `realm`, in WWW-Authenticate. */
  realm: string;
  accessTtlS: number;
  /**
   * Doorkeeper's refresh_token_revoked_on_use (the oauth_access_tokens table has a
   * previous_refresh_token column): a refresh leaves the old pair alive until the new access token is
   * first presented ([dk-token] authenticate → revoke_previous_refresh_token!). Off: the old pair is
   * revoked by the refresh itself ([dk-refresh] `refresh_token.revoke unless refresh_token_revoked_on_use?`).
   */
  refreshRevokedOnUse: boolean;
  /** Doorkeeper's default_generator_method. */
  tokenFormat: 'hex' | 'urlsafe_base64';
  /** Fields added to the code exchange answer (GitLab's id_token). */
  codeExchangeExtras?: (row: DoorkeeperTokenRow, grant: { nonce?: string }) => Record<string, string>;
}

/** One oauth_access_grants row: an authorization code ([dk-code]). */
interface AccessGrantRow {
  clientId: string;
  account: EmulatedAccount;
  scopes: string[];
  redirectUri: string;
  challenge?: { value: string; method: string };
  nonce?: string;
  expiresAt: number;
  revoked: boolean;
}

/** One oauth_access_tokens row: the access token and its refresh token are revoked together. */
export interface DoorkeeperTokenRow {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  account: EmulatedAccount;
  scopes: string[];
  createdAt: number;
  expiresInS: number;
  expiresAt: number;
  revoked: boolean;
  /** The refresh token this row was refreshed from, until the new access token is first used. */
  previousRefreshToken: string;
}

export class DoorkeeperServer {
  readonly tokenCalls: TokenCall[] = [];
  private readonly grants = new Map<string, AccessGrantRow>();
  private readonly byAccessToken = new Map<string, DoorkeeperTokenRow>();
  private readonly byRefreshToken = new Map<string, DoorkeeperTokenRow>();

  constructor(private readonly config: DoorkeeperConfig) {}

  /** GET /oauth/authorize, [dk-preauth] validations in their order, then [dk-authz] new/create/destroy. */
  authorize(req: EmulatorRequest, siteName: string): EmulatorAnswer {
    const { client } = this.config;
    const q = req.query;
    const state = q.get('state') ?? undefined;
    // [dk-authz] handle_auth_errors defaults to :render: every pre-authorization error is an error
    // page at the provider, never a redirect back to the client.
    const clientId = q.get('client_id');
    if (!clientId) return errorPage(400, DOORKEEPER_MESSAGES.missingParam('client_id'));
    if (clientId !== client.clientId) return errorPage(401, DOORKEEPER_MESSAGES.invalid_client);
    // [dk-preauth] validate_redirect_uri: required, and one of the registered URIs ([dk-uri]).
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri || !redirectUriMatches(redirectUri, client.redirectUri)) return errorPage(400, DOORKEEPER_MESSAGES.invalid_redirect_uri);
    const responseType = q.get('response_type');
    if (!responseType) return errorPage(400, DOORKEEPER_MESSAGES.missingParam('response_type'));
    const scopeParam = q.get('scope') ?? '';
    if (!scopeParam && !this.config.defaultScopes.length) return errorPage(400, DOORKEEPER_MESSAGES.missingParam('scope'));
    // Only the authorization code flow is enabled (implicit is not).
    if (responseType !== 'code') return errorPage(400, DOORKEEPER_MESSAGES.unsupported_response_type);
    const scopeString = scopeParam || this.config.defaultScopes.join(' ');
    const scopes = scopeString.split(/\s+/).filter(Boolean);
    if (/[\n\r\t]/.test(scopeString) || !scopes.length || !scopes.every((scope) => this.config.scopes.has(scope))) {
      return errorPage(400, DOORKEEPER_MESSAGES.invalid_scope);
    }
    // [dk-preauth] validate_code_challenge_method: pkce_code_challenge_methods defaults to plain and S256.
    const challenge = q.get('code_challenge') || undefined;
    const method = q.get('code_challenge_method') || undefined;
    if (challenge && (!method || !['plain', 'S256'].includes(method))) return errorPage(400, DOORKEEPER_MESSAGES.invalid_code_challenge_method);

    const consent = consentOf(req);
    if (!consent) return text(200, `<!doctype html><title>Authorization required</title><p>Authorize the application to use your ${siteName} account?</p>`, 'text/html; charset=utf-8');
    // [dk-authz] destroy (Deny) → CodeRequest#deny → access_denied, redirected with the state.
    if (!consent.approved) return redirectBack(redirectUri, { error: 'access_denied', error_description: DOORKEEPER_MESSAGES.access_denied, state });
    const code = this.newToken();
    this.grants.set(code, {
      clientId,
      account: consent.account,
      scopes,
      redirectUri,
      challenge: challenge ? { value: challenge, method: method ?? 'plain' } : undefined,
      nonce: q.get('nonce') ?? undefined,
      // Doorkeeper's authorization_code_expires_in defaults to 10 minutes.
      expiresAt: Date.now() + 600_000,
      revoked: false,
    });
    return redirectBack(redirectUri, { code, state });
  }

  /** POST /oauth/token. */
  token(req: EmulatorRequest): EmulatorAnswer {
    const params = paramsOf(req);
    const grantType = params.get('grant_type') || undefined;
    const call = { grantType, clientAuth: clientAuthOf(req, params).method, refreshToken: params.get('refresh_token') ?? undefined };
    return recordTokenCall(this.tokenCalls, call, this.tokenEndpoint(req, params, grantType));
  }

  private tokenEndpoint(req: EmulatorRequest, params: URLSearchParams, grantType: string | undefined): EmulatorAnswer {
    // Doorkeeper::Request.token_strategy: a missing grant_type is invalid_request, an unknown one unsupported_grant_type.
    if (!grantType) return this.tokenError('invalid_request', DOORKEEPER_MESSAGES.missingParam('grant_type'));
    const credentials = credentialsOf(req, params);
    const client = this.authenticateClient(credentials);
    if (grantType === 'authorization_code') return this.exchangeCode(params, client);
    if (grantType === 'refresh_token') return this.refresh(params, credentials, client);
    return this.tokenError('unsupported_grant_type', DOORKEEPER_MESSAGES.unsupported_grant_type);
  }

  /** [dk-code] validations in their order: params, client, grant, redirect_uri, code_verifier. */
  private exchangeCode(params: URLSearchParams, client: RegisteredClient | undefined): EmulatorAnswer {
    const code = params.get('code') ?? '';
    const grant = code ? this.grants.get(code) : undefined;
    const redirectUri = params.get('redirect_uri') || undefined;
    const verifier = params.get('code_verifier') || undefined;
    // validate_params: the verifier when the grant has a challenge, then redirect_uri, REQUIRED.
    if (grant?.challenge && !verifier) return this.tokenError('invalid_request', DOORKEEPER_MESSAGES.missingParam('code_verifier'));
    if (!redirectUri) return this.tokenError('invalid_request', DOORKEEPER_MESSAGES.missingParam('redirect_uri'));
    // validate_client: [dk-credentials] HTTP Basic first, then client_id/client_secret parameters.
    if (!client) return this.tokenError('invalid_client', DOORKEEPER_MESSAGES.invalid_client);
    // validate_grant: known, this client's, neither used (revoked on success) nor expired.
    if (!grant || grant.clientId !== client.clientId || grant.revoked || grant.expiresAt <= Date.now()) {
      return this.tokenError('invalid_grant', DOORKEEPER_MESSAGES.invalid_grant);
    }
    // validate_redirect_uri: the one of the authorization request ([dk-uri] matches?).
    if (!redirectUriMatches(redirectUri, grant.redirectUri)) return this.tokenError('invalid_grant', DOORKEEPER_MESSAGES.invalid_grant);
    // validate_code_verifier: no verifier only without a challenge; a verifier without a challenge fails.
    if (verifier || grant.challenge) {
      const computed = grant.challenge?.method === 'S256' ? createHash('sha256').update(verifier ?? '').digest('base64url') : verifier;
      if (!grant.challenge || computed !== grant.challenge.value) return this.tokenError('invalid_grant', DOORKEEPER_MESSAGES.invalid_grant);
    }
    // before_successful_response: the grant is revoked, a new token row created (reuse_access_token
    // is off). A failed attempt does not spend the code; a replay is refused but revokes nothing.
    grant.revoked = true;
    const row = this.createRow(client.clientId, grant.account, grant.scopes, '');
    return this.tokenAnswer(row, this.config.codeExchangeExtras?.(row, grant) ?? {});
  }

  /** [dk-refresh] validations in their order: token_presence, token, client, client_match, scope. */
  private refresh(params: URLSearchParams, credentials: Credentials | undefined, client: RegisteredClient | undefined): EmulatorAnswer {
    const presented = params.get('refresh_token') ?? '';
    if (!presented) return this.tokenError('invalid_request', DOORKEEPER_MESSAGES.missingParam('refresh_token'));
    // validate_token: known and not revoked (refresh tokens do not expire; the access token's expiry does not matter).
    const row = this.byRefreshToken.get(presented);
    if (!row || row.revoked) return this.tokenError('invalid_grant', DOORKEEPER_MESSAGES.invalid_grant);
    // validate_client: credentials, when given, must be right; validate_client_match: and given.
    if (credentials && !client) return this.tokenError('invalid_client', DOORKEEPER_MESSAGES.invalid_client);
    if (!client || client.clientId !== row.clientId) return this.tokenError('invalid_grant', DOORKEEPER_MESSAGES.invalid_grant);
    // validate_scope: a `scope` may only narrow the row's scopes.
    const asked = (params.get('scope') ?? params.get('scopes') ?? '').split(/\s+/).filter(Boolean);
    if (asked.length && !asked.every((scope) => row.scopes.includes(scope))) return this.tokenError('invalid_scope', DOORKEEPER_MESSAGES.invalid_scope);
    // redirect_uri is not read by a refresh (GitLab documents sending it; Doorkeeper ignores it).
    if (!this.config.refreshRevokedOnUse) row.revoked = true;
    const renewed = this.createRow(row.clientId, row.account, asked.length ? asked : row.scopes, this.config.refreshRevokedOnUse ? row.refreshToken : '');
    return this.tokenAnswer(renewed, {});
  }

  /**
   * POST /oauth/revoke ([dk-tokens] revoke). The client must authenticate (else 403
   * unauthorized_client); an unknown token is 200 {}; another client's token is 403; revoking
   * either token of a row revokes the row, so the access token and its refresh token go together.
   */
  revoke(req: EmulatorRequest): EmulatorAnswer {
    const params = paramsOf(req);
    const client = this.authenticateClient(credentialsOf(req, params));
    const refused = json(403, { error: 'unauthorized_client', error_description: DOORKEEPER_MESSAGES.revoke_unauthorized });
    // validate_presence_of_client (skipped only with skip_client_authentication_for_password_grant).
    if (!client) return refused;
    const presented = params.get('token') ?? '';
    // With token_type_hint=refresh_token Doorkeeper 5.8 looks the token up as a refresh token only.
    const byHint = params.get('token_type_hint') === 'refresh_token';
    const asAccess = byHint ? undefined : this.byAccessToken.get(presented);
    const row = asAccess ?? this.byRefreshToken.get(presented);
    if (!presented || !row) return json(200, {});
    if (!client || client.clientId !== row.clientId) return refused;
    // RevocableAccessToken is revocable while accessible (an expired access token is left alone,
    // its refresh token with it); RevocableRefreshToken while not revoked.
    const revocable = asAccess ? this.accessible(row) : !row.revoked;
    if (revocable) row.revoked = true;
    return json(200, {});
  }

  /**
   * The resource server's look-up ([dk-token] from_request and authenticate): the token from
   * `Authorization: Bearer`, `access_token` or `bearer_token`; a known token retires the row it was
   * refreshed from when refresh_token_revoked_on_use is on.
   */
  authenticate(req: EmulatorRequest): { presented?: string; row?: DoorkeeperTokenRow } {
    const header = String(req.headers.authorization ?? '');
    const presented = (/^Bearer /i.test(header) ? header.replace(/^Bearer /i, '') : undefined) || req.query.get('access_token') || req.query.get('bearer_token') || undefined;
    const row = presented ? this.byAccessToken.get(presented) : undefined;
    if (row?.previousRefreshToken) {
      const previous = this.byRefreshToken.get(row.previousRefreshToken);
      if (previous) previous.revoked = true;
      row.previousRefreshToken = '';
    }
    return { presented, row };
  }

  /** Doorkeeper's `accessible?`: neither expired nor revoked. */
  accessible(row: DoorkeeperTokenRow): boolean {
    return !row.revoked && row.expiresAt > Date.now();
  }

  /** Doorkeeper's InvalidTokenResponse reason: revoked before expired. */
  invalidReason(row: DoorkeeperTokenRow | undefined): 'revoked' | 'expired' | 'unknown' {
    if (!row) return 'unknown';
    return row.revoked ? 'revoked' : row.expiresAt <= Date.now() ? 'expired' : 'unknown';
  }

  isAlive(token: string): boolean {
    const access = this.byAccessToken.get(token);
    if (access) return this.accessible(access);
    const refresh = this.byRefreshToken.get(token);
    return Boolean(refresh && !refresh.revoked);
  }

  expireAccessToken(token: string): void {
    const row = this.byAccessToken.get(token);
    if (row) row.expiresAt = Date.now() - 1;
  }

  private authenticateClient(credentials: Credentials | undefined): RegisteredClient | undefined {
    const { client } = this.config;
    return credentials && credentials.uid === client.clientId && credentials.secret === client.clientSecret ? client : undefined;
  }

  private createRow(clientId: string, account: EmulatedAccount, scopes: string[], previousRefreshToken: string): DoorkeeperTokenRow {
    const now = Date.now();
    const row: DoorkeeperTokenRow = {
      accessToken: this.newToken(),
      refreshToken: this.newToken(),
      clientId,
      account,
      scopes,
      createdAt: now,
      expiresInS: this.config.accessTtlS,
      expiresAt: now + this.config.accessTtlS * 1000,
      revoked: false,
      previousRefreshToken,
    };
    this.byAccessToken.set(row.accessToken, row);
    this.byRefreshToken.set(row.refreshToken, row);
    return row;
  }

  private newToken(): string {
    const bytes = randomBytes(32);
    return this.config.tokenFormat === 'hex' ? bytes.toString('hex') : bytes.toString('base64url');
  }

  /** Doorkeeper::OAuth::TokenResponse#body (blank members left out) and #headers. */
  private tokenAnswer(row: DoorkeeperTokenRow, extras: Record<string, string>): EmulatorAnswer {
    const body: Record<string, unknown> = {
      access_token: row.accessToken,
      token_type: 'Bearer',
      expires_in: row.expiresInS,
      refresh_token: row.refreshToken,
      created_at: Math.floor(row.createdAt / 1000),
      ...extras,
    };
    if (row.scopes.length) body.scope = row.scopes.join(' ');
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, body: JSON.stringify(body) };
  }

  /** [dk-errors] ErrorResponse: 401 for invalid_client, else 400; JSON body; WWW-Authenticate always. */
  private tokenError(error: string, description: string): EmulatorAnswer {
    return {
      status: error === 'invalid_client' || error === 'unauthorized_client' ? 401 : 400,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store, no-cache',
        'www-authenticate': `Bearer realm="${this.config.realm}", error="${error}", error_description="${description}"`,
      },
      body: JSON.stringify({ error, error_description: description }),
    };
  }
}

interface Credentials {
  uid: string;
  secret?: string;
}

/**
 * [dk-credentials] Credentials.from_request(request, :from_basic, :from_params): HTTP Basic wins
 * when present (Base64-decoded and split at the first colon, with no form-decoding), else the
 * client_id / client_secret parameters. Both methods are accepted by default.
 */
function credentialsOf(req: EmulatorRequest, params: URLSearchParams): Credentials | undefined {
  const basic = /^Basic (.*)/s.exec(String(req.headers.authorization ?? ''));
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const uid = colon === -1 ? decoded : decoded.slice(0, colon);
    if (uid) return { uid, secret: colon === -1 ? undefined : decoded.slice(colon + 1) };
  }
  const uid = params.get('client_id');
  return uid ? { uid, secret: params.get('client_secret') ?? undefined } : undefined;
}

/** Rails `params`: the query string, then the form or JSON body over it (Doorkeeper does not enforce the content type). */
function paramsOf(req: EmulatorRequest): URLSearchParams {
  const merged = new URLSearchParams(req.query);
  const form = formOf(req);
  const body = form ? [...form.entries()] : Object.entries(jsonOf(req) ?? {}).map(([k, v]): [string, string] => [k, String(v)]);
  for (const [name, value] of body) merged.set(name, value);
  return merged;
}

/**
 * [dk-uri] URIChecker.valid_for_authorization?: a valid URI without fragment that matches the
 * registered one; the request's query is ignored unless the registered URI has one (then the same
 * parameters in any order); loopback URIs match on any port (RFC 8252 §7.3).
 */
export function redirectUriMatches(candidate: string, registered: string): boolean {
  let url: URL;
  let target: URL;
  try {
    url = new URL(candidate);
    target = new URL(registered);
  } catch {
    return false;
  }
  if (candidate.includes('#')) return false;
  if (target.search) {
    const sorted = (search: string) => search.replace(/^\?/, '').split('&').sort().join('&');
    if (sorted(url.search) !== sorted(target.search)) return false;
    target.search = '';
  }
  const loopback = (hostname: string) => hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
  if (loopback(url.hostname) && loopback(target.hostname)) {
    url.port = '';
    target.port = '';
  }
  url.search = '';
  return url.href === target.href;
}

/** [dk-authz] render :error: Doorkeeper's error page, with the error response's status. */
function errorPage(status: number, description: string): EmulatorAnswer {
  return text(status, `<!doctype html><title>An error has occurred</title><h1>An error has occurred</h1><p>${description}</p>`, 'text/html; charset=utf-8');
}

/** [oidc] ID tokens, signed RS256; the key pair is made on first use (keeps emulators without openid fast). */
class IdTokenSigner {
  private keys?: { privateKey: KeyObject; jwk: Record<string, unknown> };

  idToken(args: { issuer: string; clientId: string; account: EmulatedAccount; nonce?: string }): string {
    const { privateKey, jwk } = this.key();
    const now = Math.floor(Date.now() / 1000);
    // [oidc] claims of the ID token: sub (the user id), sub_legacy, auth_time; doorkeeper-openid_connect
    // sets iss, aud, exp (120 s by default), iat and the request's nonce.
    const claims: Record<string, unknown> = {
      iss: args.issuer,
      sub: args.account.id,
      aud: args.clientId,
      exp: now + 120,
      iat: now,
      auth_time: now,
      sub_legacy: createHash('sha256').update(args.account.id).digest('hex'),
    };
    if (args.nonce) claims.nonce = args.nonce;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ typ: 'JWT', kid: jwk.kid, alg: 'RS256' })}.${encode(claims)}`;
    return `${signingInput}.${createSign('RSA-SHA256').update(signingInput).sign(privateKey).toString('base64url')}`;
  }

  publicJwk(): Record<string, unknown> {
    return this.key().jwk;
  }

  private key(): { privateKey: KeyObject; jwk: Record<string, unknown> } {
    if (!this.keys) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { n, e } = publicKey.export({ format: 'jwk' });
      // RFC 7638 thumbprint as the key id.
      const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
      this.keys = { privateKey, jwk: { kty: 'RSA', n, e, kid, use: 'sig', alg: 'RS256' } };
    }
    return this.keys;
  }
}
