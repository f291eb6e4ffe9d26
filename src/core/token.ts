/**
 * The token endpoint: authorization code exchange (RFC 6749 §4.1.3) and refresh (§6). Requests are
 * built apart from responses being read, so each half is tested on its own; `requestTokens` joins
 * them over the transport.
 */
import { applyClientAuth } from './client-auth';
import { describeFlag, flaggedError } from './error-answer';
import { OAuthError, kindOfOAuthErrorCode } from './errors';
import { decodeBody, describeShape, formEncode, readPath, send } from './http';
import type { Clock, HttpRequest, HttpResponse, HttpTransport } from './ports';
import type { ClientCredentials, ResolvedProvider } from './provider';
import { redactText } from './redact';
import { tokenResponseSchema, tokenSetFromResponse, type TokenResponse, type TokenSet } from './tokens';

export type TokenGrant =
  | { type: 'authorization_code'; code: string; codeVerifier?: string; redirectUri: string; requestedScopes: ReadonlyArray<string> }
  | { type: 'refresh_token'; previous: TokenSet & { refreshToken: string } };

export function buildTokenRequest(provider: ResolvedProvider, client: ClientCredentials, grant: TokenGrant): HttpRequest {
  const fields: Record<string, string | undefined> = { ...provider.tokenParams };
  if (grant.type === 'authorization_code') {
    fields.grant_type = 'authorization_code';
    fields.code = grant.code;
    if (provider.redirectUriAtTokenExchange) fields.redirect_uri = grant.redirectUri;
    fields.code_verifier = grant.codeVerifier; // RFC 7636 §4.5
  } else {
    fields.grant_type = 'refresh_token';
    fields.refresh_token = grant.previous.refreshToken;
    if (provider.redirectUriAtRefresh) fields.redirect_uri = client.redirectUri;
  }
  const json = provider.tokenRequestFormat === 'json';
  const request = {
    url: provider.endpoints.token,
    headers: {
      'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
      // GitHub answers form-encoded unless asked for JSON; decodeBody reads both anyway.
      accept: 'application/json',
    } as Record<string, string>,
  };
  applyClientAuth(provider.clientAuth, client, provider.id, request, fields);
  const body = json ? JSON.stringify(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))) : formEncode(fields);
  return { method: 'POST', url: request.url, headers: request.headers, body };
}

/**
 * Reads a token endpoint answer. Returns a validated token response or throws a typed error;
 * nothing half-valid comes out. `secrets` are the values the request carried, redacted from any
 * server text kept in the error.
 */
export function readTokenResponse(
  provider: ResolvedProvider,
  response: HttpResponse,
  secrets: ReadonlyArray<string | undefined>,
  grantType: TokenGrant['type'] = 'authorization_code',
): TokenResponse {
  const body = decodeBody(response);
  const fields = body.fields;
  const where = `The token endpoint of ${provider.id}`;

  // The provider's own error flag first (its definition's `errorAnswer`): its code is where it says.
  const flagged = flaggedError(provider, fields);
  if (flagged?.code) throw oauthErrorFromFields(provider, fields!, response.status, secrets, where, flagged.code);
  if (flagged) {
    throw new OAuthError('invalid_response', `${where} answered ${describeFlag(provider)} without an error code`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  // An `error` member (RFC 6749 §5.2) means failure whatever the status: some servers send it with HTTP 200.
  if (fields && typeof fields.error === 'string' && fields.error !== '') {
    throw oauthErrorFromFields(provider, fields, response.status, secrets, where);
  }
  if (response.status >= 500 || response.status === 429) {
    throw new OAuthError('provider_unavailable', `${where} answered HTTP ${response.status}`, {
      providerId: provider.id,
      status: response.status,
      retryable: true,
    });
  }
  if (response.status === 401 || response.status === 403) {
    throw new OAuthError('provider_misconfigured', `${where} refused the client credentials (HTTP ${response.status})`, {
      providerId: provider.id,
      status: response.status,
      oauthError: 'invalid_client',
    });
  }
  if (response.status === 404 || response.status === 405) {
    throw new OAuthError('provider_misconfigured', `${where} answered HTTP ${response.status}: check the token URL`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  if (response.status < 200 || response.status > 299) {
    throw new OAuthError('invalid_response', `${where} answered HTTP ${response.status} with ${describeShape(body.shape)}`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  if (!fields || (body.shape !== 'json' && body.shape !== 'form')) {
    throw new OAuthError('invalid_response', `${where} answered HTTP ${response.status} with ${describeShape(body.shape)}: check the token URL`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  const tokenPath = grantType === 'authorization_code' ? provider.tokenPath : [];
  const tokenFields = tokenPath.length ? readPath(fields, tokenPath) : fields;
  const parsed = tokenResponseSchema.safeParse(tokenFields ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [...tokenPath, ...issue.path.map(String)].join('.');
    const problem = issue.code === 'invalid_type' && issue.input === undefined ? 'is missing' : issue.message;
    throw new OAuthError('invalid_response', `${where} answered without a usable token: ${field} ${problem}`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  return parsed.data;
}

/** An OAuth error response (RFC 6749 §5.2), with provider-specific codes translated by the preset. */
export function oauthErrorFromFields(
  provider: ResolvedProvider,
  fields: Record<string, unknown>,
  status: number | undefined,
  secrets: ReadonlyArray<string | undefined>,
  where: string,
  /** The provider's code, when it is not the `error` member. */
  raw: string = String(fields.error),
): OAuthError {
  const code = provider.errorCodes[raw] ?? raw;
  const description = typeof fields.error_description === 'string' ? redactText(fields.error_description, secrets).slice(0, 300) : undefined;
  const codeKind = kindOfOAuthErrorCode(code);
  // No user takes part in a token request, so nobody can have declined: an `access_denied` here
  // refuses the client (Atlassian's token endpoint answers a wrong secret so, with HTTP 401).
  const kind = status !== undefined && status >= 500 ? 'provider_unavailable' : codeKind === 'access_denied' ? 'provider_misconfigured' : codeKind;
  const shownCode = code === raw ? code : `${code} (${redactText(raw, secrets).slice(0, 60)})`;
  return new OAuthError(kind, `${where} answered ${shownCode}${description ? `: ${description}` : ''}`, {
    providerId: provider.id,
    oauthError: code,
    description,
    status,
  });
}

export interface TokenEndpointContext {
  transport: HttpTransport;
  clock: Clock;
  timeoutMs?: number;
}

/** Sends a grant to the token endpoint and returns the new token set. */
export async function requestTokens(ctx: TokenEndpointContext, provider: ResolvedProvider, client: ClientCredentials, grant: TokenGrant): Promise<TokenSet> {
  const request = buildTokenRequest(provider, client, grant);
  const response = await send(ctx.transport, request, 'token endpoint', provider.id, ctx.timeoutMs);
  const secrets =
    grant.type === 'authorization_code'
      ? [client.clientSecret, grant.code, grant.codeVerifier]
      : [client.clientSecret, grant.previous.refreshToken, grant.previous.accessToken];
  const tokenResponse = readTokenResponse(provider, response, secrets, grant.type);
  return tokenSetFromResponse(tokenResponse, {
    now: ctx.clock.now(),
    requestedScopes: grant.type === 'authorization_code' ? grant.requestedScopes : grant.previous.scopes,
    previous: grant.type === 'refresh_token' ? grant.previous : undefined,
  });
}
