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
 * The Doorkeeper part (authorization endpoint, token endpoint, revocation, token rows) is in
 * doorkeeper.ts, shared with redmine.ts.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { lifecycleOf, EmulatorServer, json, type EmulatedAccount, type EmulatorAnswer, type EmulatorOptions, type ProviderEmulator } from './kit';
import { DoorkeeperServer } from './doorkeeper';

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
      return json(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api read_api read_user',
      });
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
    ...lifecycleOf(doorkeeper, server),
  };
}

function invalidToken(description: string): EmulatorAnswer {
  return json(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer realm="The API", error="invalid_token", error_description="${description}"` },
  );
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
      const kid = createHash('sha256')
        .update(JSON.stringify({ e, kty: 'RSA', n }))
        .digest('base64url');
      this.keys = { privateKey, jwk: { kty: 'RSA', n, e, kid, use: 'sig', alg: 'RS256' } };
    }
    return this.keys;
  }
}
