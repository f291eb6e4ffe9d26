/**
 * Doorkeeper 5.8, the Rails OAuth 2 provider GitLab and Redmine 6.1 are built on: the authorization
 * endpoint, the token endpoint, revocation and token rows they share, emulated from its source at the
 * version both pin. gitlab.ts and redmine.ts configure it as each documents.
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
 */
import { createHash, randomBytes } from 'node:crypto';
import {
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
  type EmulatorRequest,
  type RegisteredClient,
  type TokenCall,
} from './kit';

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
    if (!consent)
      return text(
        200,
        `<!doctype html><title>Authorization required</title><p>Authorize the application to use your ${siteName} account?</p>`,
        'text/html; charset=utf-8',
      );
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
      const computed =
        grant.challenge?.method === 'S256'
          ? createHash('sha256')
              .update(verifier ?? '')
              .digest('base64url')
          : verifier;
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
    const presented =
      (/^Bearer /i.test(header) ? header.replace(/^Bearer /i, '') : undefined) || req.query.get('access_token') || req.query.get('bearer_token') || undefined;
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
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      body: JSON.stringify(body),
    };
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
