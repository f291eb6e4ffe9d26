/**
 * Microsoft Entra ID (identity platform v2.0) and Microsoft Graph, emulated from their documentation:
 * - [auth-code] https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
 * - [scopes] https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc
 * - [refresh-tokens] https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
 * - [aadsts] https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
 * - [id-tokens] https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 * - [graph-auth] https://learn.microsoft.com/en-us/graph/auth-v2-user
 * - [graph-me] https://learn.microsoft.com/en-us/graph/api/user-get
 * - [graph-errors] https://learn.microsoft.com/en-us/graph/errors
 * - [my-apps] https://support.microsoft.com/en-us/account-billing/edit-or-revoke-application-permissions-in-the-my-apps-portal-169be2b4-ee26-4338-aea8-d19bb2f329ee
 *
 * One single-tenant app registration in one tenant: the tenant in the path must be that tenant (its
 * domain or its ID). Entra's errors carry an AADSTS code in `error_description` and `error_codes`.
 * Every refresh returns a new refresh token and the old one keeps working; there is no revocation
 * endpoint for clients.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  tokenCallOf,
  EmulatorServer,
  GrantBook,
  bearerOf,
  clientAuthOf,
  consentOf,
  formOf,
  isRefusal,
  json,
  opaque,
  recordTokenCall,
  redirectBack,
  text,
  type EmulatedAccount,
  type EmulatorAnswer,
  type EmulatorOptions,
  type Grant,
  type IssuePolicy,
  type IssuedTokens,
  type ProviderEmulator,
  type TokenCall,
} from './kit';

export const MICROSOFT_DOCS = [
  'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  'https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc',
  'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
  'https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes',
  'https://learn.microsoft.com/en-us/graph/auth-v2-user',
  'https://learn.microsoft.com/en-us/graph/api/user-get',
  'https://learn.microsoft.com/en-us/graph/errors',
];

/** [my-apps] Where a work or school user revokes what they consented to. */
export const MICROSOFT_REVOKE_PAGE = 'https://myapps.microsoft.com/';

const LOGIN = 'login.microsoftonline.com';
const GRAPH = 'https://graph.microsoft.com/';
/** [scopes] "The Microsoft identity platform implementation of OpenID Connect has a few well-defined scopes". */
const OIDC_SCOPES = new Set(['openid', 'email', 'profile', 'offline_access']);
/** [graph-me] Delegated permissions that allow GET /me, least privileged first. */
const ME_PERMISSIONS = new Set([
  'user.read',
  'user.readwrite',
  'user.readbasic.all',
  'user.read.all',
  'user.readwrite.all',
  'directory.read.all',
  'directory.readwrite.all',
]);

export interface MicrosoftEmulatorOptions extends EmulatorOptions {
  /** The tenant's verified domain, used in the URL path and in user principal names. */
  tenant?: string;
  /** The tenant ID (GUID); the path may name the tenant by it too. */
  tenantId?: string;
  /**
   * users-may-consent (default): users consent to the app themselves.
   * admin-consented: an administrator consented for the organization and users may not consent:
   * [scopes] with prompt=consent a user who is not allowed to consent is "shown an error message or
   * the admin consent request form", even though the admin's consent covers the request.
   */
  consentPolicy?: 'users-may-consent' | 'admin-consented';
}

export interface MicrosoftEmulator extends ProviderEmulator {
  /**
   * An administrator (or the user) revokes the user's refresh tokens (Graph revokeSignInSessions):
   * [refresh-tokens] refresh tokens die, access tokens live until they expire.
   */
  revokeSignInSessions(login: string): void;
}

interface AadError {
  error: string;
  code: number;
  message: string;
}

export async function startMicrosoftEmulator(options: MicrosoftEmulatorOptions): Promise<MicrosoftEmulator> {
  const { client } = options;
  const tenant = (options.tenant ?? 'contoso.onmicrosoft.com').toLowerCase();
  const tenantId = (options.tenantId ?? '72f988bf-0000-4000-8000-00000000c0de').toLowerCase();
  const consentPolicy = options.consentPolicy ?? 'users-may-consent';
  const server = await EmulatorServer.start();
  const grants = new GrantBook();
  const tokenCalls: TokenCall[] = [];
  // [auth-code] "expires_in": 3599 in every example (access tokens last 60–90 minutes);
  // [refresh-tokens] "90 days for all other scenarios" than single-page apps.
  const policy: IssuePolicy = {
    accessTtlS: options.accessTtlS ?? 3599,
    refresh: true,
    refreshTtlS: 90 * 24 * 3600,
    accessPrefix: 'eyJ0eXAiOiJKV1Qi.',
    refreshPrefix: '1.AQ',
  };
  /** Accounts that consented to the app (users-may-consent). */
  const consented = new Set<string>();
  const upnOf = (account: EmulatedAccount) => `${account.login}@${tenant.includes('.') ? tenant : 'contoso.onmicrosoft.com'}`;

  /** [auth-code] tenant: "common, organizations, consumers, and tenant identifiers"; this app is single-tenant. */
  function tenantError(pathTenant: string): AadError | undefined {
    const named = decodeURIComponent(pathTenant).toLowerCase();
    if (named === tenant || named === tenantId) return undefined;
    // [aadsts] AADSTS50194: a single-tenant application on /common (and /organizations).
    if (named === 'common' || named === 'organizations') {
      return {
        error: 'invalid_request',
        code: 50194,
        message: `Application '${client.clientId}'(Emulated app) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
      };
    }
    // [aadsts] AADSTS9002332: an app for Microsoft Entra users only on /consumers.
    if (named === 'consumers') {
      return {
        error: 'invalid_request',
        code: 9002332,
        message: `Application '${client.clientId}'(Emulated app) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.`,
      };
    }
    // [aadsts] AADSTS90002 InvalidTenantName: the only tenant that exists here is the app's.
    return {
      error: 'invalid_request',
      code: 90002,
      message: `Tenant '${named}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    };
  }

  // [auth-code] GET https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize
  server.on(LOGIN, 'GET', /^\/[^/]+\/oauth2\/v2\.0\/authorize$/, (req) => {
    const q = req.query;
    const wrongTenant = tenantError(req.path.split('/')[1]);
    // Before the client and its redirect URI are verified, Entra shows its own error page.
    if (wrongTenant) return errorPage(wrongTenant);
    // [aadsts] AADSTS700016: "The application wasn't found in the directory/tenant".
    if (q.get('client_id') !== client.clientId) {
      return errorPage({
        error: 'unauthorized_client',
        code: 700016,
        message: `Application with identifier '${q.get('client_id') ?? ''}' was not found in the directory '${tenant}'.`,
      });
    }
    // [auth-code] redirect_uri: "required … must exactly match one of the redirect URIs you registered";
    // [aadsts] AADSTS900971 "No reply address provided.", AADSTS50011 InvalidReplyTo.
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return errorPage({ error: 'invalid_request', code: 900971, message: 'No reply address provided.' });
    if (redirectUri !== client.redirectUri) {
      return errorPage({
        error: 'invalid_request',
        code: 50011,
        message: `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'.`,
      });
    }
    const state = q.get('state') ?? undefined;
    // [auth-code] "Error responses may also be sent to the redirect_uri": error and error_description.
    const fail = (e: AadError) => redirectBack(redirectUri, { error: e.error, error_description: `AADSTS${e.code}: ${e.message}`, state });
    // [auth-code] response_type "Must include code"; this emulator does not do the hybrid flow.
    if (q.get('response_type') !== 'code')
      return fail({
        error: 'unsupported_response_type',
        code: 70005,
        message: "The provided value for the input parameter 'response_type' is not allowed for this request.",
      });
    // [auth-code] response_mode: query is the default for a code; the others are not emulated.
    if ((q.get('response_mode') ?? 'query') !== 'query') return text(501, 'emulator: only response_mode=query is emulated');
    // [auth-code] scope: required.
    const asked = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!asked.length) return fail({ error: 'invalid_request', code: 900144, message: "The request body must contain the following parameter: 'scope'." });
    // [auth-code] prompt: "Valid values are login, none, consent, and select_account".
    const prompt = q.get('prompt');
    if (prompt !== null && !['login', 'none', 'consent', 'select_account'].includes(prompt)) {
      return fail({ error: 'invalid_request', code: 90023, message: `Invalid prompt value: '${prompt}'.` });
    }
    // [auth-code] code_challenge_method: "The Microsoft identity platform supports both plain and S256";
    // "If excluded, code_challenge is assumed to be plaintext".
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') ?? 'plain';
    if (challenge && method !== 'S256' && method !== 'plain')
      return fail({ error: 'invalid_request', code: 501491, message: 'Invalid code_challenge_method.' });
    if (!challenge && q.get('code_challenge_method'))
      return fail({ error: 'invalid_request', code: 50147, message: 'The size of the code challenge parameter is not valid.' });

    const consent = consentOf(req);
    if (!consent) return text(200, '<!doctype html><title>Sign in to your account</title>', 'text/html; charset=utf-8');
    const { account } = consent;
    // [auth-code] "error=access_denied&error_description=the+user+canceled+the+authentication";
    // [aadsts] AADSTS65004 UserDeclinedConsent when it is the consent that is declined.
    if (!consent.approved) return fail({ error: 'access_denied', code: 65004, message: 'User declined to consent to access the app.' });
    if (consentPolicy === 'admin-consented') {
      // [scopes] Example 3: prompt=consent forces the consent prompt; a user not allowed to consent
      // gets an error or the admin consent request form ([aadsts] AADSTS90094 AdminConsentRequired),
      // and is not sent back to the app.
      if (prompt === 'consent') {
        return text(
          200,
          `<!doctype html><title>Need admin approval</title><p>Need admin approval</p><p>AADSTS90094: Admin consent is required for the permissions requested by this application.</p>`,
          'text/html; charset=utf-8',
        );
      }
    } else {
      // [auth-code] prompt=none: "If the request can't be completed silently … returns an interaction_required error".
      if (prompt === 'none' && !consented.has(account.login)) {
        return fail({
          error: 'interaction_required',
          code: 65001,
          message: `The user or administrator has not consented to use the application with ID '${client.clientId}'.`,
        });
      }
      consented.add(account.login);
    }
    const code = grants.issueCode({
      clientId: client.clientId,
      account,
      scopes: asked,
      redirectUri,
      challenge: challenge ? { value: challenge, method } : undefined,
      extra: { nonce: q.get('nonce') ?? '' },
      prefix: '1.AQ',
    });
    // [auth-code] successful response: code and state; [graph-auth] also session_state.
    return redirectBack(redirectUri, { code, state, session_state: randomUUID() });
  });

  // [auth-code] POST /{tenant}/oauth2/v2.0/token, for the code and for refreshes.
  server.on(LOGIN, 'POST', /^\/[^/]+\/oauth2\/v2\.0\/token$/, (req) => {
    const params = formOf(req);
    const auth = clientAuthOf(req, params);
    const call = tokenCallOf(params, auth);
    return recordTokenCall(tokenCalls, call, tokenEndpoint(req.path.split('/')[1], params, auth));
  });

  function tokenEndpoint(pathTenant: string, params: URLSearchParams | undefined, auth: ReturnType<typeof clientAuthOf>): EmulatorAnswer {
    const wrongTenant = tenantError(pathTenant);
    if (wrongTenant) return aadError(400, wrongTenant);
    // [auth-code] "Content-Type: application/x-www-form-urlencoded".
    if (!params) return aadError(400, missing('grant_type'));
    const grantType = params.get('grant_type');
    if (!grantType) return aadError(400, missing('grant_type'));
    // [auth-code] client_secret "required for confidential web apps … The Basic auth pattern of instead
    // providing credentials in the Authorization header, per RFC 6749 is also supported": both methods
    // are accepted, one at a time (RFC 6749 §2.3.1: "MUST NOT use more than one authentication method").
    if (auth.method === 'both')
      return aadError(400, {
        error: 'invalid_request',
        code: 90023,
        message: 'The request contains client credentials both in the Authorization header and in the body.',
      });
    if (!auth.clientId) return aadError(400, missing('client_id'));
    if (auth.clientId !== client.clientId) {
      return aadError(400, {
        error: 'unauthorized_client',
        code: 700016,
        message: `Application with identifier '${auth.clientId}' was not found in the directory '${tenant}'.`,
      });
    }
    // [aadsts] AADSTS7000218 / AADSTS7000215, both invalid_client ("Client authentication failed").
    if (auth.method === 'none')
      return aadError(401, {
        error: 'invalid_client',
        code: 7000218,
        message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      });
    if (auth.clientSecret !== client.clientSecret) {
      return aadError(401, {
        error: 'invalid_client',
        code: 7000215,
        message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      });
    }
    if (grantType === 'authorization_code') return codeGrant(params);
    if (grantType === 'refresh_token') return refreshGrant(params);
    return aadError(400, { error: 'unsupported_grant_type', code: 70003, message: `The app requested an unsupported grant type '${grantType}'.` });
  }

  function codeGrant(params: URLSearchParams): EmulatorAnswer {
    const code = params.get('code');
    if (!code) return aadError(400, missing('code'));
    // [auth-code] redirect_uri: "required. The same redirect_uri value that was used to acquire the authorization_code."
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) return aadError(400, missing('redirect_uri'));
    if (redirectUri !== client.redirectUri) {
      return aadError(400, {
        error: 'invalid_request',
        code: 50011,
        message: `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'.`,
      });
    }
    const issued = grants.redeemCode(code, {
      clientId: client.clientId,
      redirectUri,
      verifier: params.get('code_verifier') ?? undefined,
      redirectUriRequired: true,
    });
    if (isRefusal(issued)) {
      // [auth-code] invalid_grant: "The authorization code or PKCE code verifier is invalid or has expired."
      switch (issued.reason) {
        case 'authorization code already used':
          return aadError(400, {
            error: 'invalid_grant',
            code: 54005,
            message: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
          });
        case 'PKCE verification failed':
        case 'code_verifier sent but no challenge was given':
          return aadError(400, {
            error: 'invalid_grant',
            code: 501481,
            message: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          });
        case 'authorization code expired':
          return aadError(400, {
            error: 'invalid_grant',
            code: 70008,
            message: 'The provided authorization code or refresh token has expired due to inactivity.',
          });
        default:
          return aadError(400, { error: 'invalid_grant', code: 9002313, message: 'Invalid request. Request is malformed or invalid.' });
      }
    }
    const { grant } = issued;
    // [auth-code] scope at redemption is optional; "the scopes must all be from a single resource".
    const unconsented = notConsented(grant, params.get('scope'));
    if (unconsented) return unconsented;
    // [auth-code] refresh_token "Only provided if offline_access scope was requested".
    const tokens = grants.issueTokens(grant, { ...policy, refresh: grant.scopes.includes('offline_access') }, issued);
    return json(200, tokenAnswer(grant, tokens));
  }

  function refreshGrant(params: URLSearchParams): EmulatorAnswer {
    const token = params.get('refresh_token');
    if (!token) return aadError(400, missing('refresh_token'));
    const record = grants.refreshTokens.get(token);
    // [refresh-tokens] "Refresh tokens replace themselves with a fresh token upon every use. The
    // Microsoft identity platform doesn't revoke old refresh tokens when used to fetch new access
    // tokens": a new refresh token each time, the old one still valid until its own expiry.
    const renewed = grants.refresh(token, { clientId: client.clientId, rotate: false, reuse: 'reject', policy });
    if (isRefusal(renewed) || !record) {
      const reason = isRefusal(renewed) ? renewed.reason : 'unknown refresh token';
      if (reason === 'refresh token revoked') {
        return aadError(400, {
          error: 'invalid_grant',
          code: 50173,
          message: 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
        });
      }
      if (reason === 'refresh token expired') {
        return aadError(400, {
          error: 'invalid_grant',
          code: 700082,
          message: 'The refresh token has expired due to inactivity. The token was issued on a date and was inactive for 90.00:00:00.',
        });
      }
      if (reason === 'refresh token issued to another client')
        return aadError(400, { error: 'invalid_grant', code: 70000, message: 'Provided grant is invalid or malformed.' });
      return aadError(400, { error: 'invalid_grant', code: 9002313, message: 'Invalid request. Request is malformed or invalid.' });
    }
    // [auth-code] refresh scope: optional, "equivalent to or a subset of the scopes requested in the original authorization_code request leg".
    const unconsented = notConsented(record.grant, params.get('scope'));
    if (unconsented) return unconsented;
    const refreshToken = opaque(policy.refreshPrefix ?? '');
    grants.refreshTokens.set(refreshToken, { grant: record.grant, state: 'active', expiresAt: Date.now() + (policy.refreshTtlS ?? 0) * 1000 });
    // [auth-code] the refresh answer: access_token, token_type, expires_in, scope, refresh_token, id_token.
    return json(200, tokenAnswer(record.grant, { ...renewed, refreshToken }));
  }

  /** [aadsts] AADSTS65001 DelegationDoesNotExist: a scope the user never consented to. */
  function notConsented(grant: Grant, scope: string | null): EmulatorAnswer | undefined {
    if (scope === null) return undefined;
    const granted = new Set(grant.scopes.map(normalize));
    const extra = scope
      .split(' ')
      .filter(Boolean)
      .filter((s) => !granted.has(normalize(s)));
    if (!extra.length) return undefined;
    return aadError(400, {
      error: 'invalid_grant',
      code: 65001,
      message: `The user or administrator has not consented to use the application with ID '${client.clientId}'. Send an interactive authorization request for this user and resource.`,
    });
  }

  function tokenAnswer(grant: Grant, tokens: IssuedTokens): Record<string, unknown> {
    // [auth-code] scope: "The scopes that the access_token is valid for": the resource's permissions,
    // as requested (the examples ask for and get back `https://graph.microsoft.com/mail.read`;
    // [graph-auth] asks for `user.read mail.read` and gets `user.read mail.read`).
    const resourceScopes = grant.scopes.filter((s) => !OIDC_SCOPES.has(s));
    return {
      token_type: 'Bearer',
      scope: (resourceScopes.length ? resourceScopes : grant.scopes.filter((s) => s !== 'offline_access')).join(' '),
      expires_in: tokens.expiresIn,
      ext_expires_in: tokens.expiresIn,
      access_token: tokens.accessToken,
      ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
      // [auth-code] id_token "Only provided if openid scope was requested".
      ...(grant.scopes.includes('openid') ? { id_token: idToken(grant) } : {}),
    };
  }

  /** [id-tokens] the v2.0 ID token claims, with `profile` and `email` adding theirs. */
  function idToken(grant: Grant): string {
    const now = Math.floor(Date.now() / 1000);
    const { account } = grant;
    const payload = {
      aud: client.clientId,
      iss: `https://login.microsoftonline.com/${tenantId}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      ...(grant.scopes.includes('profile') ? { name: account.name, preferred_username: upnOf(account) } : {}),
      ...(grant.scopes.includes('email') ? { email: account.email } : {}),
      ...(grant.extra.nonce ? { nonce: grant.extra.nonce } : {}),
      oid: objectId(account),
      sub: Buffer.from(`${client.clientId}:${account.id}`).toString('base64url').slice(0, 43),
      tid: tenantId,
      ver: '2.0',
    };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ typ: 'JWT', alg: 'RS256', kid: 'emulator' })}.${part(payload)}.${randomBytes(32).toString('base64url')}`;
  }

  // [graph-me] GET https://graph.microsoft.com/v1.0/me
  server.on('graph.microsoft.com', 'GET', '/v1.0/me', (req) => {
    const bearer = bearerOf(req);
    // [graph-errors] 401 "Required authentication information is either missing or not valid for the
    // resource", in Graph's error object (code as Graph returns it for a bad token).
    if (!bearer) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const record = grants.liveAccessToken(bearer);
    if (!record) {
      const known = grants.accessTokens.get(bearer);
      return graphError(
        401,
        'InvalidAuthenticationToken',
        known ? 'Lifetime validation failed, the token is expired.' : 'IDX14100: JWT is not well formed, there are no dots (.).',
      );
    }
    // [graph-me] least privileged delegated permission: User.Read; [graph-errors] 403 otherwise.
    if (!record.scopes.some((scope) => ME_PERMISSIONS.has(normalize(scope)))) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const { account } = record.grant;
    const [given, ...family] = account.name.split(' ');
    // [graph-me] / [graph-auth] the user resource's default properties.
    return json(200, {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
      businessPhones: [],
      displayName: account.name,
      givenName: given,
      jobTitle: null,
      mail: account.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: family.join(' '),
      userPrincipalName: upnOf(account),
      id: objectId(account),
    });
  });

  return {
    preset: 'microsoft',
    docs: MICROSOFT_DOCS,
    server,
    settings: { site: options.tenant ?? 'contoso.onmicrosoft.com' },
    behaviour: { refreshes: true, expires: true, revocation: false },
    tokenCalls,
    isAlive: (token) => grants.isAlive(token),
    expireAccessToken: (token) => grants.expireAccessToken(token),
    revokeSignInSessions(login) {
      for (const record of grants.refreshTokens.values()) if (record.grant.account.login === login) record.state = 'revoked';
    },
    close: () => server.close(),
  };
}

/** [scopes] "scope=User.Read is equivalent to https://graph.microsoft.com/User.Read"; Graph permission names are case-insensitive. */
function normalize(scope: string): string {
  const lower = scope.toLowerCase();
  return lower.startsWith(GRAPH) ? lower.slice(GRAPH.length) : lower;
}

/** [aadsts] AADSTS900144: "The request body must contain the following parameter: '{name}'." */
const missing = (name: string): AadError => ({
  error: 'invalid_request',
  code: 900144,
  message: `The request body must contain the following parameter: '${name}'.`,
});

/** [auth-code] / [aadsts] the token endpoint's error body. */
function aadError(status: number, e: AadError): EmulatorAnswer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return json(status, {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
  });
}

/** The sign-in error page Entra shows when it cannot send the user back to the app. */
function errorPage(e: AadError): EmulatorAnswer {
  const message = `AADSTS${e.code}: ${e.message}`.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return text(
    400,
    `<!doctype html><title>Sign in to your account</title><p>Sorry, but we're having trouble signing you in.</p><p>${message}</p>`,
    'text/html; charset=utf-8',
  );
}

/** [graph-errors] `{"error": {"code", "message", "innerError": {…}}}`. */
function graphError(status: number, code: string, message: string): EmulatorAnswer {
  const requestId = randomUUID();
  return json(
    status,
    {
      error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId } },
    },
    status === 401
      ? {
          'www-authenticate':
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        }
      : {},
  );
}

/** A user's object ID (GUID) from the emulated account's ID. */
const objectId = (account: EmulatedAccount): string => `00000000-0000-4000-8000-${account.id.padStart(12, '0')}`;
