/**
 * Every provider quirk a preset encodes, checked on the exact request the core sends (method, URL,
 * headers, body) or on how the core reads the provider's answer. Quirks: src/core/providers/*.ts and
 * /work/shared/notes/oauth-field-notes.md ("Provider behaviour a connector must absorb").
 */
import { beginAuthorization, pkceChallenge } from '../../src/core/authorize';
import { MetadataCache, resolveWithoutDiscovery } from '../../src/core/discovery';
import { findEndpointViolation, STRICT_ENDPOINT_POLICY } from '../../src/core/endpoint-policy';
import { OAuthError } from '../../src/core/errors';
import { USER_AGENT } from '../../src/core/http';
import type { HttpResponse } from '../../src/core/ports';
import type { ClientCredentials, ResolvedProvider } from '../../src/core/provider';
import { PRESETS, definitionFromPreset, fillPreset, findPreset, type Preset, type PresetData, type PresetOptions } from '../../src/core/providers';
import { isTokenRefused } from '../../src/core/connector';
import { buildProfileRequest, readProfileResponse } from '../../src/core/profile';
import { buildRevocationRequests, revokeTokens } from '../../src/core/revoke';
import { buildTokenRequest, requestTokens, type TokenGrant } from '../../src/core/token';
import { missingScopes, type TokenSet } from '../../src/core/tokens';
import { MemoryStateStore } from '../../src/node/memory-stores';
import { RecordingTransport, basicOf, json, type Answer } from '../support/recording-transport';
import { rejectionOf } from '../support/oauth-error';

const NOW = 1_700_000_000_000;
const clock = { now: () => NOW };
const client: ClientCredentials = {
  clientId: 'client-1',
  clientSecret: 's3cret-value',
  redirectUri: 'https://chat.example.com/api/apps/public/app-id/complete',
};
const SECRET_CARRIERS = { client_id: 'client-1', client_secret: 's3cret-value' };
const tokens: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', refreshToken: 'rt-1', obtainedAt: NOW, scopes: [] };
const form = RecordingTransport.form;

function preset(key: string): Preset {
  const found = findPreset(key);
  if (!found) throw new Error(`no preset ${key}`);
  return found;
}

/** A preset built into a provider whose endpoints are known (no discovery). */
function provider(key: string, options: Partial<PresetOptions> = {}): ResolvedProvider {
  return resolveWithoutDiscovery(definitionFromPreset(preset(key), { id: key, ...options }));
}

function codeGrant(p: ResolvedProvider): TokenGrant {
  return {
    type: 'authorization_code',
    code: 'code-1',
    codeVerifier: p.pkce ? 'verifier-1' : undefined,
    redirectUri: client.redirectUri,
    requestedScopes: p.scopes.default,
  };
}
const refreshGrant: TokenGrant = { type: 'refresh_token', previous: { ...tokens, refreshToken: 'rt-1' } };

/** Starts an authorization; returns the URL the browser is sent to and what was stored for the callback. */
async function authorize(p: ResolvedProvider) {
  const states = new MemoryStateStore();
  const start = await beginAuthorization({ provider: p, client, userId: 'user-1', states, clock });
  const pending = await states.take(start.state);
  const url = new URL(start.url);
  return { url, params: url.searchParams, endpoint: `${url.origin}${url.pathname}`, state: start.state, pending: pending! };
}

/** Exchanges `code-1` against a scripted token endpoint; returns the token set and the request sent. */
async function exchange(p: ResolvedProvider, answer: Answer, grant: TokenGrant = codeGrant(p)) {
  const transport = new RecordingTransport().answer(answer);
  const result = await requestTokens({ transport, clock }, p, client, grant);
  expect(transport.requests).toHaveLength(1);
  return { tokens: result, request: transport.last };
}

async function exchangeFailure(p: ResolvedProvider, answer: Answer): Promise<OAuthError> {
  return rejectionOf(exchange(p, answer));
}

/** A configuration refused before any request: returns the error to check which field it names. */
function configError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OAuthError);
    expect((e as OAuthError).kind).toBe('invalid_configuration');
    return e as OAuthError;
  }
  throw new Error('expected an invalid_configuration error, nothing was thrown');
}

/** A profile endpoint's 200 JSON answer. */
const profileAnswer = (body: unknown): HttpResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const formAnswer = (body: string): Answer => ({ status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });

describe('the preset catalog', () => {
  const ISSUER = 'https://idp.example.com/realms/main';
  const metadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token`, userinfo_endpoint: `${ISSUER}/userinfo` };
  const NEEDS: Record<string, Partial<PresetOptions>> = {
    site: { site: 'https://code.example.com' },
    tenant: { tenant: 'contoso.onmicrosoft.com' },
    issuer: { issuer: ISSUER },
    endpoints: { overrides: { endpoints: { authorization: 'https://auth.example.com/authorize', token: 'https://auth.example.com/token' } } },
  };

  it('has unique keys that are valid provider ids', () => {
    const keys = PRESETS.map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[a-z0-9][a-z0-9-]{0,31}$/);
  });

  it.each(PRESETS.map((p) => [p.key, p] as const))('%s builds into a valid definition with https docs and endpoints', async (_key, p) => {
    expect(new URL(p.docs).protocol).toBe('https:');
    const definition = definitionFromPreset(p, { id: p.key, ...(p.needs ? NEEDS[p.needs] : {}) });
    expect(definition.id).toBe(p.key);
    const resolved = await new MetadataCache(new RecordingTransport(json(metadata)), { clock }).resolve(definition);
    const urls = [
      resolved.endpoints.authorization,
      resolved.endpoints.token,
      resolved.endpoints.revocation,
      resolved.endpoints.userinfo,
      resolved.profile?.url,
    ];
    expect(urls.slice(0, 2).every(Boolean)).toBe(true);
    for (const url of urls.filter((u): u is string => Boolean(u))) expect(new URL(url).protocol).toBe('https:');
  });
});

describe('presets are data, filled by one function', () => {
  /** Every function anywhere in a value, by path. */
  function functionsIn(value: unknown, path = ''): string[] {
    if (typeof value === 'function') return [path];
    if (!value || typeof value !== 'object' || value instanceof RegExp) return [];
    return Object.entries(value).flatMap(([key, item]) => functionsIn(item, `${path}.${key}`));
  }

  it.each(PRESETS.map((p) => [p.key, p] as const))('%s is data: no function of its own builds the definition', (_key, data) => {
    expect(functionsIn(data)).toEqual([]);
    expect(JSON.parse(JSON.stringify(data.definition))).toEqual(data.definition);
  });

  it('keeps the catalog frozen, so no slot changes what the next one is built from', () => {
    const gitlab = preset('gitlab');
    expect(Object.isFrozen(gitlab)).toBe(true);
    expect(Object.isFrozen(gitlab.definition.endpoints)).toBe(true);
    const built = definitionFromPreset(gitlab, { id: 'gl', site: 'https://git.example.com' });
    built.endpoints.token = 'https://elsewhere.example.com/token';
    expect(provider('gitlab').endpoints.token).toBe('https://gitlab.com/oauth/token');
    // Its defaults, read without validation (the page users are sent to when the app cannot revoke).
    expect(fillPreset(gitlab, { id: 'gl' }).appAccessPage).toBe('https://gitlab.com/-/user_settings/applications');
  });

  it('names a custom or OpenID Connect provider after its id, as a name reads in a sentence, unless the admin names it', () => {
    expect(definitionFromPreset(preset('oidc'), { id: 'keycloak', issuer: 'https://id.example.com/realms/main' }).displayName).toBe('Keycloak');
    expect(definitionFromPreset(preset('oidc'), { id: 'sso', issuer: 'https://id.example.com', overrides: { displayName: 'Company SSO' } }).displayName).toBe(
      'Company SSO',
    );
  });

  it('fills {id} and the parameter in any preset, leaves the core its own placeholders, then merges overrides and scopes and validates', () => {
    const data: PresetData = {
      key: 'forge',
      label: 'Forge',
      docs: 'https://forge.example.com/docs/oauth',
      needs: 'site',
      definition: {
        displayName: 'Forge for {id}',
        endpoints: {
          authorization: '{site}/login/oauth/authorize',
          token: '{site}/login/oauth/token',
          revocation: '{site}/api/apps/{client_id}/grant',
        },
        scopes: { default: ['read'] },
        authorizationParams: { team: '{id}' },
        revocation: { style: 'request', request: { method: 'DELETE', clientAuth: 'basic', body: { format: 'json', fields: { token: '{token}' } } } },
      },
    };
    const definition = definitionFromPreset(data, {
      id: 'work',
      site: 'https://forge.example.com/sub/',
      scopes: ['read', 'write'],
      overrides: { authorizationParams: { prompt: 'login' }, endpoints: { userinfo: 'https://forge.example.com/api/me' } },
    });
    expect(definition).toMatchObject({
      id: 'work',
      displayName: 'Forge for work',
      endpoints: {
        authorization: 'https://forge.example.com/sub/login/oauth/authorize',
        token: 'https://forge.example.com/sub/login/oauth/token',
        revocation: 'https://forge.example.com/sub/api/apps/{client_id}/grant',
        userinfo: 'https://forge.example.com/api/me',
      },
      scopes: { default: ['read', 'write'] },
      authorizationParams: { team: 'work', prompt: 'login' },
    });
    expect(data.definition.endpoints!.token).toBe('{site}/login/oauth/token');
    const [revoke] = buildRevocationRequests(resolveWithoutDiscovery(definition), client, tokens);
    expect(revoke.request.url).toBe('https://forge.example.com/sub/api/apps/client-1/grant');
  });

  it("checks a name parameter by its preset's rule, and a missing one by its absence of a default", () => {
    const data: PresetData = {
      key: 'regional',
      label: 'Regional',
      docs: 'https://regional.example.com/docs',
      needs: 'tenant',
      parameter: { format: 'name', pattern: /^(eu|us)$/, expected: 'eu or us' },
      definition: { endpoints: { authorization: 'https://{tenant}.regional.example.com/authorize', token: 'https://{tenant}.regional.example.com/token' } },
    };
    expect(definitionFromPreset(data, { id: 'r', tenant: ' eu ' }).endpoints.token).toBe('https://eu.regional.example.com/token');
    expect(configError(() => definitionFromPreset(data, { id: 'r', tenant: 'eu.evil.com/x' }))).toMatchObject({
      field: 'tenant',
      message: 'tenant: must be eu or us, not "eu.evil.com/x"',
    });
    expect(configError(() => definitionFromPreset(data, { id: 'r' }))).toMatchObject({ field: 'tenant', message: 'Regional needs the tenant' });
  });

  it.each([
    ['microsoft', { tenant: 'my tenant' }, 'tenant', 'tenant: must be a tenant ID, a domain, or common / organizations / consumers, not "my tenant"'],
    ['gitlab', { site: 'git.example.com' }, 'site', 'site: must be an absolute https:// URL, not "git.example.com"'],
    ['gitlab', { site: 'https://git.example.com/#x' }, 'site', 'site: must be an absolute https:// URL, not "https://git.example.com/#x"'],
    ['redmine', { site: 'https://user:pw@acme.plan.io' }, 'site', 'site: must be a plain base URL without query, fragment or credentials'],
    ['redmine', {}, 'site', 'Redmine / Planio needs the site URL'],
    ['oidc', { issuer: 'https://idp.example.com/?realm=x' }, 'issuer', 'issuer: must be a plain base URL without query, fragment or credentials'],
    ['oidc', { issuer: '  ' }, 'issuer', 'OpenID Connect (by issuer) needs the issuer URL'],
  ])('refuses %s with %p, naming the %s setting as before', (key, options, field, message) => {
    expect(configError(() => provider(key, options))).toMatchObject({ field, message });
  });
});

describe('Google', () => {
  const google = provider('google');

  it('asks for offline access with consent, PKCE S256, the exact redirect URI and space-delimited scopes', async () => {
    const { endpoint, params, pending } = await authorize(google);
    expect(endpoint).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe('client-1');
    expect(params.get('redirect_uri')).toBe(client.redirectUri);
    expect(params.get('scope')).toBe('openid email profile');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(pending.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('code_challenge')).toBe(pkceChallenge(pending.codeVerifier!));
  });

  it('knows the URLs its token answer names email and profile by: nothing shows as not granted', () => {
    const granted: TokenSet = {
      ...tokens,
      requestedScopes: ['openid', 'email', 'profile'],
      scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile'],
    };
    expect(missingScopes(granted, google.scopes)).toEqual([]);
    expect(missingScopes({ ...granted, scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email'] }, google.scopes)).toEqual(['profile']);
  });

  it('exchanges the code with the credentials in the form body (client_secret_post), no Authorization header', () => {
    const request = buildTokenRequest(google, client, codeGrant(google));
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://oauth2.googleapis.com/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: client.redirectUri,
      code_verifier: 'verifier-1',
      ...SECRET_CARRIERS,
    });
  });
});

describe('GitHub', () => {
  const github = provider('github');

  it('asks for JSON and sends the credentials in the body', () => {
    const request = buildTokenRequest(github, client, codeGrant(github));
    expect(request.url).toBe('https://github.com/login/oauth/access_token');
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request)).toMatchObject(SECRET_CARRIERS);
  });

  it('reads a form-encoded answer, with comma-separated granted scopes', async () => {
    const { tokens: got } = await exchange(github, formAnswer('access_token=gho_abc123&scope=repo%2Cgist&token_type=bearer'));
    expect(got).toEqual({
      accessToken: 'gho_abc123',
      tokenType: 'bearer',
      scopes: ['repo', 'gist'],
      requestedScopes: ['read:user'],
      obtainedAt: NOW,
      refreshToken: undefined,
      expiresAt: undefined,
      idToken: undefined,
    });
  });

  it.each([
    ['JSON', json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' })],
    ['form', formAnswer('error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.')],
  ])('turns an HTTP 200 bad_verification_code (%s) into reconnect_required / invalid_grant', async (_shape, answer) => {
    const error = await exchangeFailure(github, answer);
    expect(error).toMatchObject({ kind: 'reconnect_required', oauthError: 'invalid_grant', status: 200, providerId: 'github' });
  });

  it('turns incorrect_client_credentials into provider_misconfigured without echoing the secret', async () => {
    const error = await exchangeFailure(github, json({ error: 'incorrect_client_credentials', error_description: 'Bad secret s3cret-value' }));
    expect(error).toMatchObject({ kind: 'provider_misconfigured', oauthError: 'invalid_client' });
    expect(`${error.message} ${error.description}`).not.toContain('s3cret-value');
  });

  it('revokes with DELETE /applications/<client_id>/token, Basic client credentials and a JSON body', async () => {
    const requests = buildRevocationRequests(github, client, { ...tokens, refreshToken: undefined });
    expect(requests).toHaveLength(1);
    const { request } = requests[0];
    expect(request.method).toBe('DELETE');
    expect(request.url).toBe('https://api.github.com/applications/client-1/token');
    expect(request.headers.authorization).toBe(basicOf('client-1', 's3cret-value'));
    expect(JSON.parse(request.body!)).toEqual({ access_token: 'at-1' });
    const transport = new RecordingTransport().answer({ status: 204 });
    await expect(revokeTokens({ transport }, github, client, { ...tokens, refreshToken: undefined })).resolves.toEqual({
      summary: 'revoked',
      outcomes: [{ token: 'access_token', result: 'revoked' }],
    });
  });
});

describe('GitLab', () => {
  it('defaults to gitlab.com', () => {
    const gitlab = provider('gitlab');
    expect(gitlab.endpoints).toMatchObject({ authorization: 'https://gitlab.com/oauth/authorize', token: 'https://gitlab.com/oauth/token' });
  });

  it('puts every endpoint under a self-managed site, trailing slash stripped', () => {
    const gitlab = provider('gitlab', { site: ' https://git.example.com/gitlab/ ' });
    expect(gitlab.endpoints).toEqual({
      authorization: 'https://git.example.com/gitlab/oauth/authorize',
      token: 'https://git.example.com/gitlab/oauth/token',
      revocation: 'https://git.example.com/gitlab/oauth/revoke',
    });
    expect(gitlab.profile?.url).toBe('https://git.example.com/gitlab/api/v4/user');
  });

  it("refuses a site that is not a URL, naming the site setting; plain http is the endpoint policy's to refuse", () => {
    expect(configError(() => provider('gitlab', { site: 'git.example.com' })).field).toBe('site');
    expect(findEndpointViolation(provider('gitlab', { site: 'http://git.example.com' }), STRICT_ENDPOINT_POLICY)).toMatchObject({
      path: 'endpoints.authorization',
      fix: 'url',
    });
    const local = provider('gitlab', { site: 'http://localhost:8080' });
    expect(local.endpoints.token).toBe('http://localhost:8080/oauth/token');
    expect(findEndpointViolation(local, STRICT_ENDPOINT_POLICY)).toMatchObject({ fix: 'allowHttpLoopback' });
    expect(findEndpointViolation(local, { allowHttpLoopback: true, allowedHosts: [] })).toBeUndefined();
  });

  it('refuses a site URL with a query or credentials, which would misplace every endpoint path', () => {
    expect(configError(() => provider('gitlab', { site: 'https://git.example.com?x=1' })).field).toBe('site');
    expect(configError(() => provider('gitlab', { site: 'https://user:pw@git.example.com' })).field).toBe('site');
  });

  it('sends redirect_uri on refresh (Google does not)', () => {
    const gitlab = provider('gitlab');
    expect(form(buildTokenRequest(gitlab, client, refreshGrant))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
      redirect_uri: client.redirectUri,
      ...SECRET_CARRIERS,
    });
    expect(form(buildTokenRequest(provider('google'), client, refreshGrant))).not.toHaveProperty('redirect_uri');
  });
});

describe('Microsoft', () => {
  it('puts the tenant in the authorization and token URLs', () => {
    const microsoft = provider('microsoft', { tenant: 'contoso.onmicrosoft.com' });
    expect(microsoft.endpoints.authorization).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
    expect(microsoft.endpoints.token).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  });

  it.each([undefined, '', '   '])('uses the common tenant when none is given (%p)', (tenant) => {
    expect(provider('microsoft', { tenant }).endpoints.token).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
  });

  it.each(['contoso/../evil', 'my tenant', 'evil.com?x=', '-leading-dash'])('refuses the tenant %p, naming the tenant setting', (tenant) => {
    expect(configError(() => provider('microsoft', { tenant })).field).toBe('tenant');
  });

  it('asks for offline_access by default, without forcing consent (which fails where users may not consent)', async () => {
    const { params } = await authorize(provider('microsoft'));
    expect(params.get('scope')!.split(' ')).toContain('offline_access');
    expect(params.has('prompt')).toBe(false);
  });

  it('does not count the OpenID Connect scopes its token answer never lists as not granted', () => {
    const microsoft = provider('microsoft');
    const granted: TokenSet = { ...tokens, requestedScopes: microsoft.scopes.default, scopes: ['https://graph.microsoft.com/User.Read'] };
    expect(missingScopes(granted, microsoft.scopes)).toEqual([]);
    expect(missingScopes({ ...granted, scopes: [] }, microsoft.scopes)).toEqual(['User.Read']);
  });

  it('has no revocation: disconnecting sends nothing and says not_supported', async () => {
    const transport = new RecordingTransport();
    await expect(revokeTokens({ transport }, provider('microsoft'), client, tokens)).resolves.toEqual({ summary: 'not_supported', outcomes: [] });
    expect(transport.requests).toHaveLength(0);
  });
});

describe('Chatwork', () => {
  const chatwork = provider('chatwork');

  it('sends the browser to the login.php consent page, without an OpenID Connect prompt', async () => {
    const { endpoint, params } = await authorize(chatwork);
    expect(endpoint).toBe('https://www.chatwork.com/packages/oauth2/login.php');
    expect(params.has('prompt')).toBe(false);
  });

  it('authenticates with HTTP Basic, keeps the secret out of the body and sends redirect_uri', () => {
    const request = buildTokenRequest(chatwork, client, codeGrant(chatwork));
    expect(request.url).toBe('https://oauth.chatwork.com/token');
    expect(request.headers.authorization).toBe(basicOf('client-1', 's3cret-value'));
    expect(form(request)).toEqual({ grant_type: 'authorization_code', code: 'code-1', redirect_uri: client.redirectUri, code_verifier: 'verifier-1' });
  });
});

describe('Redmine / Planio', () => {
  it.each([undefined, '  '])('requires the site (%p)', (site) => {
    const error = configError(() => provider('redmine', { site }));
    expect(error.field).toBe('site');
    expect(error.message).toContain('site');
  });

  it('puts the endpoints under the site and reads user.login from /users/current.json', () => {
    const redmine = provider('redmine', { site: 'https://acme.plan.io/' });
    expect(redmine.endpoints).toEqual({
      authorization: 'https://acme.plan.io/oauth/authorize',
      token: 'https://acme.plan.io/oauth/token',
      revocation: 'https://acme.plan.io/oauth/revoke',
    });
    expect(buildProfileRequest(redmine)).toEqual({ method: 'GET', url: 'https://acme.plan.io/users/current.json', headers: { accept: 'application/json' } });
    const profile = readProfileResponse(redmine, profileAnswer({ user: { id: 7, login: 'jdoe', firstname: 'Jane', mail: 'jane@example.com' } }));
    expect(profile.accountName).toBe('jdoe');
  });
});

describe('Asana', () => {
  const asana = provider('asana');

  it('sends the credentials in the body', () => {
    const request = buildTokenRequest(asana, client, codeGrant(asana));
    expect(request.url).toBe('https://app.asana.com/-/oauth_token');
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request)).toMatchObject(SECRET_CARRIERS);
  });

  it('revokes the refresh token only, which ends its access tokens too', () => {
    expect(buildRevocationRequests(asana, client, tokens).map((r) => [r.token, form(r.request).token])).toEqual([['refresh_token', 'rt-1']]);
  });

  it('reads the account name at data.name of /users/me', () => {
    expect(buildProfileRequest(asana)).toMatchObject({ method: 'GET', url: 'https://app.asana.com/api/1.0/users/me' });
    const profile = readProfileResponse(asana, profileAnswer({ data: { gid: '1', name: 'Ada Lovelace', email: 'ada@example.com' } }));
    expect(profile.accountName).toBe('Ada Lovelace');
  });
});

describe('Dropbox', () => {
  const dropbox = provider('dropbox');

  it('asks for token_access_type=offline', async () => {
    const { endpoint, params } = await authorize(dropbox);
    expect(endpoint).toBe('https://www.dropbox.com/oauth2/authorize');
    expect(params.get('token_access_type')).toBe('offline');
  });

  it('revokes with POST, the access token as Bearer credentials and no body', async () => {
    const requests = buildRevocationRequests(dropbox, client, tokens);
    expect(requests).toEqual([
      {
        token: 'access_token',
        request: {
          method: 'POST',
          url: 'https://api.dropboxapi.com/2/auth/token/revoke',
          headers: { authorization: 'Bearer at-1', accept: 'application/json' },
        },
      },
    ]);
    const transport = new RecordingTransport().answer({ status: 200, headers: { 'content-type': 'application/json' }, body: 'null' });
    const result = await revokeTokens({ transport }, dropbox, client, tokens);
    // Revoking the access token ends the refresh token too: nothing is left unrevoked.
    expect(result).toEqual({ summary: 'revoked', outcomes: [{ token: 'access_token', result: 'revoked' }] });
  });

  it('counts a 401 for a token that revokes itself as already revoked: no client credentials could be wrong', async () => {
    const transport = new RecordingTransport().answer({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: '{"error_summary":"invalid_access_token/","error":{".tag":"invalid_access_token"}}',
    });
    expect((await revokeTokens({ transport }, dropbox, client, tokens)).summary).toBe('revoked');
  });

  it('reads the profile with a POST and takes name.display_name', () => {
    expect(buildProfileRequest(dropbox)).toMatchObject({ method: 'POST', url: 'https://api.dropboxapi.com/2/users/get_current_account' });
    expect(buildProfileRequest(dropbox).body).toBeUndefined();
    const profile = readProfileResponse(
      dropbox,
      profileAnswer({ account_id: 'dbid:1', name: { given_name: 'Ada', display_name: 'Ada L.' }, email: 'ada@example.com' }),
    );
    expect(profile.accountName).toBe('Ada L.');
  });
});

describe('Slack', () => {
  const slack = provider('slack', { scopes: ['users:read', 'chat:write'] });
  const userToken = { access_token: 'xoxp-user', token_type: 'user', scope: 'users:read,chat:write', refresh_token: 'xoxe-1-refresh', expires_in: 43200 };

  it('puts the scopes in user_scope, comma-joined, without scope or PKCE parameters', async () => {
    const { endpoint, params, pending } = await authorize(slack);
    expect(endpoint).toBe('https://slack.com/oauth/v2/authorize');
    expect(params.get('user_scope')).toBe('users:read,chat:write');
    expect(params.has('scope')).toBe(false);
    expect(params.has('code_challenge')).toBe(false);
    expect(params.has('code_challenge_method')).toBe(false);
    expect(pending.codeVerifier).toBeUndefined();
    expect(form(buildTokenRequest(slack, client, codeGrant(slack)))).not.toHaveProperty('code_verifier');
  });

  it('takes the user token from authed_user and ignores the top-level bot token', async () => {
    const answer = json({
      ok: true,
      access_token: 'xoxb-bot',
      token_type: 'bot',
      scope: 'commands',
      bot_user_id: 'B1',
      authed_user: { id: 'U1', ...userToken },
    });
    const { tokens: got, request } = await exchange(slack, answer);
    expect(request.headers.authorization).toBe(basicOf('client-1', 's3cret-value'));
    expect(got).toEqual({
      accessToken: 'xoxp-user',
      tokenType: 'user',
      refreshToken: 'xoxe-1-refresh',
      expiresAt: NOW + 43_200_000,
      obtainedAt: NOW,
      scopes: ['users:read', 'chat:write'],
      requestedScopes: ['users:read', 'chat:write'],
      idToken: undefined,
    });
  });

  it.each([
    ['invalid_code', 'reconnect_required', 'invalid_grant'],
    ['bad_client_secret', 'provider_misconfigured', 'invalid_client'],
  ])('turns ok:false error %s in an HTTP 200 into %s', async (code, kind, oauthError) => {
    expect(await exchangeFailure(slack, json({ ok: false, error: code }))).toMatchObject({ kind, oauthError, status: 200 });
  });

  it('counts a token Slack already considers revoked as revoked (RFC 7009 §2.2)', async () => {
    const transport = new RecordingTransport().answer(json({ ok: false, error: 'token_revoked' }));
    await expect(revokeTokens({ transport }, slack, client, tokens)).resolves.toEqual({
      summary: 'revoked',
      outcomes: [
        { token: 'access_token', result: 'revoked' },
        { token: 'refresh_token', result: 'unsupported' },
      ],
    });
  });

  it('reads ok:false invalid_auth from its Web API as a refused token, like a 401', () => {
    const answer = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(isTokenRefused(slack, answer({ ok: false, error: 'invalid_auth' }))).toBe(true);
    expect(isTokenRefused(slack, answer({ ok: false, error: 'channel_not_found' }))).toBe(false);
    expect(isTokenRefused(slack, answer({ ok: true, user: 'ada' }))).toBe(false);
    expect(isTokenRefused(provider('github'), answer({ ok: false, error: 'invalid_auth' }))).toBe(false);
  });

  // A user-token refresh (token rotation) answers at the top level, token_type "user", as
  // @slack/oauth InstallProvider.authorize reads it; `authed_user` is only in the code exchange.
  it('reads a refreshed user token, which Slack sends at the top level', async () => {
    const { tokens: got } = await exchange(slack, json({ ok: true, app_id: 'A1', team: { id: 'T1' }, ...userToken }), refreshGrant);
    expect(got.accessToken).toBe('xoxp-user');
  });
});

describe('Atlassian', () => {
  const atlassian = provider('atlassian');

  it('asks for audience=api.atlassian.com with prompt=consent', async () => {
    const { params } = await authorize(atlassian);
    expect(params.get('audience')).toBe('api.atlassian.com');
    expect(params.get('prompt')).toBe('consent');
  });

  it('reads access_denied at the token endpoint as a refused client, not as a user who declined', async () => {
    const error = await exchangeFailure(provider('atlassian'), {
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: '{"error":"access_denied","error_description":"Unauthorized"}',
    });
    expect(error).toMatchObject({ kind: 'provider_misconfigured', status: 401 });
  });

  it('sends the token request as JSON', () => {
    const request = buildTokenRequest(atlassian, client, codeGrant(atlassian));
    expect(request).toMatchObject({ method: 'POST', url: 'https://auth.atlassian.com/oauth/token' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBeUndefined();
    expect(JSON.parse(request.body!)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: client.redirectUri,
      code_verifier: 'verifier-1',
      ...SECRET_CARRIERS,
    });
  });
});

describe('Custom OAuth 2.0', () => {
  const endpoints = { authorization: 'https://legacy.example.com/oauth/authorize', token: 'https://legacy.example.com/oauth/token?realm=main' };

  it('needs the endpoints', () => {
    expect(configError(() => provider('custom')).field).toBe('endpoints.authorization');
  });

  it('refuses client_secret_query unless marked weakerClientAuth', () => {
    expect(configError(() => provider('custom', { overrides: { endpoints, clientAuth: 'client_secret_query' } })).field).toBe('clientAuth');
  });

  it('with weakerClientAuth, puts the secret in the token URL query and not in the body', () => {
    const custom = provider('custom', { overrides: { endpoints, clientAuth: 'client_secret_query', weakerClientAuth: true } });
    const request = buildTokenRequest(custom, client, codeGrant(custom));
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://legacy.example.com/oauth/token');
    expect(Object.fromEntries(url.searchParams)).toEqual({ realm: 'main', ...SECRET_CARRIERS });
    expect(form(request)).not.toHaveProperty('client_secret');
    expect(request.body).not.toContain('s3cret-value');
    expect(request.headers.authorization).toBeUndefined();
  });
});

describe('errors flagged inside HTTP 200 answers, declared in advanced JSON (errorAnswer)', () => {
  const endpoints = {
    authorization: 'https://legacy.example.com/oauth/authorize',
    token: 'https://legacy.example.com/oauth/token',
    revocation: 'https://legacy.example.com/oauth/revoke',
    userinfo: 'https://legacy.example.com/api/me',
  };
  const errorAnswer = { flagPath: 'result.status', flagValue: 'failed', codePath: 'result.reason', tokenRefused: ['session_expired'] };
  const flagging = provider('custom', { overrides: { endpoints, errorAnswer, errorCodes: { code_spent: 'invalid_grant' } } });
  const plain = provider('custom', { overrides: { endpoints } });
  const failed = (reason?: string) => json({ result: { status: 'failed', ...(reason ? { reason } : {}) }, name: 'ada' });

  it('at the token endpoint: the code at codePath, translated by errorCodes', async () => {
    expect(await exchangeFailure(flagging, failed('code_spent'))).toMatchObject({ kind: 'reconnect_required', oauthError: 'invalid_grant', status: 200 });
    expect(await exchangeFailure(flagging, failed())).toMatchObject({
      kind: 'invalid_response',
      message: expect.stringMatching(/result\.status: "failed" without an error code/),
    });
    const { tokens: got } = await exchange(flagging, json({ result: { status: 'done' }, access_token: 'at-9', token_type: 'Bearer' }));
    expect(got.accessToken).toBe('at-9');
  });

  it('a provider without errorAnswer reads the same answer as RFC 6749 §5.1 does: no token in it', async () => {
    expect(await exchangeFailure(plain, failed('code_spent'))).toMatchObject({
      kind: 'invalid_response',
      message: expect.stringMatching(/without a usable token/),
    });
  });

  it('at the revocation endpoint: a flagged 200 is a failure, with the code', async () => {
    const transport = new RecordingTransport().answer(failed('not_yours'), failed('not_yours'));
    expect(await revokeTokens({ transport }, flagging, client, tokens)).toEqual({
      summary: 'failed',
      outcomes: [
        { token: 'refresh_token', result: 'failed', status: 200, oauthError: 'not_yours', reason: 'the provider answered HTTP 200 not_yours' },
        { token: 'access_token', result: 'failed', status: 200, oauthError: 'not_yours', reason: 'the provider answered HTTP 200 not_yours' },
      ],
    });
    const plainTransport = new RecordingTransport(failed('not_yours'));
    expect((await revokeTokens({ transport: plainTransport }, plain, client, tokens)).summary).toBe('revoked');
  });

  it('at the profile endpoint: a flagged 200 is no profile', () => {
    const answer: HttpResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: failed('session_expired').body! };
    expect(() => readProfileResponse(flagging, answer)).toThrow(/answered result\.status: "failed" \(session_expired\)/);
    expect(readProfileResponse(plain, answer).claims).toMatchObject({ name: 'ada' });
  });

  it('for API calls: only the tokenRefused codes say the token is refused', () => {
    const answer = (reason: string): HttpResponse => ({ status: 200, headers: {}, body: failed(reason).body! });
    expect(isTokenRefused(flagging, answer('session_expired'))).toBe(true);
    expect(isTokenRefused(flagging, answer('not_yours'))).toBe(false);
    expect(isTokenRefused(plain, answer('session_expired'))).toBe(false);
  });

  it('a flag without a value to match: any value other than null, false or empty', async () => {
    const anyError = provider('custom', { overrides: { endpoints, errorAnswer: { flagPath: 'fault', codePath: 'fault.code' } } });
    expect(await exchangeFailure(anyError, json({ fault: { code: 'invalid_client' } }))).toMatchObject({
      kind: 'provider_misconfigured',
      oauthError: 'invalid_client',
    });
    const { tokens: got } = await exchange(anyError, json({ fault: null, access_token: 'at-9', token_type: 'Bearer' }));
    expect(got.accessToken).toBe('at-9');
  });

  it('refuses an errorAnswer without a flag path, naming the field', () => {
    expect(configError(() => provider('custom', { overrides: { endpoints, errorAnswer: { codePath: 'error' } as never } })).field).toBe('errorAnswer.flagPath');
  });
});

describe('a revocation request described as data (advanced JSON)', () => {
  const endpoints = {
    authorization: 'https://legacy.example.com/oauth/authorize',
    token: 'https://legacy.example.com/oauth/token',
    revocation: 'https://legacy.example.com/apps/{client_id}/grants',
  };
  const request = {
    method: 'DELETE' as const,
    tokens: ['refresh_token' as const, 'access_token' as const],
    clientAuth: 'basic' as const,
    headers: { accept: 'application/vnd.legacy+json', 'x-token-kind': '{token_type_hint}' },
    body: { format: 'json' as const, fields: { token: '{token}', kind: '{token_type_hint}', app: '{client_id}' } },
  };
  const custom = (revocation: Record<string, unknown> = { style: 'request', request }, extra: Record<string, unknown> = {}) =>
    provider('custom', { overrides: { endpoints, revocation, ...extra } });
  const odd: ClientCredentials = { ...client, clientId: 'app/1 2' };

  it('fills the template for each token: the client id encoded in the URL, raw in headers and JSON, the secret as Basic credentials', () => {
    const requests = buildRevocationRequests(custom(), odd, tokens);
    expect(requests.map((r) => r.token)).toEqual(['refresh_token', 'access_token']);
    expect(requests.map((r) => r.request)).toEqual(
      ['rt-1', 'at-1'].map((value, i) => ({
        method: 'DELETE',
        url: 'https://legacy.example.com/apps/app%2F1%202/grants',
        headers: {
          accept: 'application/vnd.legacy+json',
          'content-type': 'application/json',
          // RFC 6749 §2.3.1: the id is form-urlencoded before Basic encoding.
          authorization: `Basic ${Buffer.from('app%2F1+2:s3cret-value').toString('base64')}`,
          'x-token-kind': i === 0 ? 'refresh_token' : 'access_token',
        },
        body: JSON.stringify({ token: value, kind: i === 0 ? 'refresh_token' : 'access_token', app: 'app/1 2' }),
      })),
    );
  });

  it('revokes against the transport and reads the answers as RFC 7009 §2.2 does', async () => {
    const transport = new RecordingTransport().answer({ status: 204 }, json({ error: 'invalid_token' }, 400));
    await expect(revokeTokens({ transport }, custom(), client, tokens)).resolves.toEqual({
      summary: 'revoked',
      outcomes: [
        { token: 'refresh_token', result: 'revoked' },
        { token: 'access_token', result: 'revoked' },
      ],
    });
    expect(transport.requests.map((r) => [r.method, r.url])).toEqual([
      ['DELETE', 'https://legacy.example.com/apps/client-1/grants'],
      ['DELETE', 'https://legacy.example.com/apps/client-1/grants'],
    ]);
  });

  it('sends one request for a grant-wide revocation, and says the token it cannot send is unsupported', async () => {
    expect(buildRevocationRequests(custom({ style: 'request', request, revokesGrant: true }), client, tokens).map((r) => r.token)).toEqual(['refresh_token']);
    const accessOnly = custom({ style: 'request', request: { ...request, tokens: ['access_token'] } });
    const transport = new RecordingTransport().answer({ status: 204 });
    expect((await revokeTokens({ transport }, accessOnly, client, tokens)).outcomes).toEqual([
      { token: 'access_token', result: 'revoked' },
      { token: 'refresh_token', result: 'unsupported' },
    ]);
  });

  it('with the token as credentials and no client authentication, counts a 401 as a token already dead', async () => {
    const selfAuthenticated = custom({ style: 'request', request: { method: 'POST', clientAuth: 'none', headers: { authorization: 'Token {token}' } } });
    const [only] = buildRevocationRequests(selfAuthenticated, client, tokens);
    expect(only.request).toEqual({
      method: 'POST',
      url: 'https://legacy.example.com/apps/client-1/grants',
      headers: { accept: 'application/json', authorization: 'Token at-1' },
    });
    const transport = new RecordingTransport().answer({ status: 401 });
    expect((await revokeTokens({ transport }, selfAuthenticated, client, tokens)).summary).toBe('revoked');
    // With client credentials sent, a 401 refuses them instead.
    const transport2 = new RecordingTransport().answer({ status: 401 }, { status: 401 });
    expect((await revokeTokens({ transport: transport2 }, custom(), client, tokens)).summary).toBe('failed');
  });

  it.each([
    [
      'an unknown placeholder',
      { style: 'request', request: { ...request, body: { format: 'json', fields: { token: '{acess_token}' } } } },
      {},
      'revocation.request.body.fields.token',
    ],
    [
      'a token in the URL',
      { style: 'request', request },
      { endpoints: { ...endpoints, revocation: 'https://legacy.example.com/revoke/{token}' } },
      'endpoints.revocation',
    ],
    [
      'an authorization header besides client authentication',
      { style: 'request', request: { ...request, headers: { authorization: 'Bearer {token}' } } },
      {},
      'revocation.request.headers.authorization',
    ],
    ['style request without a request', { style: 'request' }, {}, 'revocation.request'],
    ['a request with another style', { style: 'rfc7009', request }, {}, 'revocation.request'],
    ['the style GitHub once had in the core', { style: 'github' }, {}, 'revocation.style'],
  ])('refuses %s, naming the field', (_what, revocation, extra, field) => {
    expect(configError(() => custom(revocation, extra)).field).toBe(field);
  });
});

describe('OpenID Connect by issuer', () => {
  const ISSUER = 'https://idp.example.com/realms/main';
  const metadata = {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/protocol/auth`,
    token_endpoint: `${ISSUER}/protocol/token`,
    authorization_response_iss_parameter_supported: true,
  };
  const definition = () => definitionFromPreset(preset('oidc'), { id: 'sso', issuer: `${ISSUER}/` });

  it('discovers the endpoints once, and requires iss when the metadata promises it', async () => {
    const transport = new RecordingTransport(json(metadata));
    const cache = new MetadataCache(transport, { clock });
    const first = await cache.resolve(definition());
    const second = await cache.resolve(definition());
    expect(transport.requests).toEqual([
      { method: 'GET', url: `${ISSUER}/.well-known/openid-configuration`, headers: { accept: 'application/json', 'user-agent': USER_AGENT } },
    ]);
    expect(first.endpoints).toMatchObject({ authorization: `${ISSUER}/protocol/auth`, token: `${ISSUER}/protocol/token` });
    expect(first.issParameterRequired).toBe(true);
    expect(second.endpoints).toEqual(first.endpoints);
    const { issParameterRequired } = await new MetadataCache(
      new RecordingTransport(json({ ...metadata, authorization_response_iss_parameter_supported: undefined })),
    ).resolve(definition());
    expect(issParameterRequired).toBe(false);
  });

  it('refuses metadata published for another issuer', async () => {
    const transport = new RecordingTransport(json({ ...metadata, issuer: 'https://evil.example.com' }));
    expect(await rejectionOf(new MetadataCache(transport, { clock }).resolve(definition()))).toMatchObject({ kind: 'provider_misconfigured' });
  });

  it('requires the issuer', () => {
    expect(configError(() => definitionFromPreset(preset('oidc'), { id: 'sso' })).field).toBe('issuer');
  });
});

describe('admin overrides', () => {
  it('merge one level deep: an extra authorization parameter keeps the preset ones', async () => {
    const { params } = await authorize(provider('google', { overrides: { authorizationParams: { hd: 'example.com' } } }));
    expect(params.get('hd')).toBe('example.com');
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
  });

  it('are validated like the preset: a token endpoint that is no URL is refused, a plain-http one by the endpoint policy', () => {
    expect(configError(() => provider('google', { overrides: { endpoints: { token: 'tokens.example.com/token' } } })).field).toBe('endpoints.token');
    expect(
      findEndpointViolation(provider('google', { overrides: { endpoints: { token: 'http://tokens.example.com/token' } } }), STRICT_ENDPOINT_POLICY),
    ).toMatchObject({
      path: 'endpoints.token',
      fix: 'url',
    });
  });

  it('can never replace the parameters security rests on: each is refused, naming it', () => {
    const endpoints = { authorization: 'https://auth.example.com/authorize', token: 'https://auth.example.com/token' };
    for (const name of ['state', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'response_type', 'client_id', 'scope']) {
      const error = configError(() => provider('custom', { overrides: { endpoints, authorizationParams: { [name]: 'x' } } }));
      expect(error.field).toBe(`authorizationParams.${name}`);
    }
  });
});
