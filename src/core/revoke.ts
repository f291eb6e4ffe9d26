/**
 * Token revocation. RFC 7009 §2.1: the refresh token first (a server SHOULD then drop the access
 * tokens of the same grant too), then the access token, each with `token_type_hint` and the same
 * client authentication as the token endpoint. Some providers revoke differently; their preset
 * describes the request as data (`revocation.request`), which the core fills the same way for all.
 * The outcome says what the provider said for each token.
 */
import { applyClientAuth } from './client-auth';
import { flaggedError } from './error-answer';
import { isOAuthError } from './errors';
import { decodeBody, formEncode, send } from './http';
import type { HttpRequest, HttpTransport } from './ports';
import type { ClientCredentials, ResolvedProvider, RevocationRequestTemplate } from './provider';
import type { TokenSet } from './tokens';

export type TokenKind = 'refresh_token' | 'access_token';

export type RevocationOutcome =
  | { token: TokenKind; result: 'revoked' }
  /** RFC 7009 §2.2.1 `unsupported_token_type`, or a style that can revoke only the access token. */
  | { token: TokenKind; result: 'unsupported' }
  | { token: TokenKind; result: 'failed'; status?: number; oauthError?: string; reason: string };

export interface RevocationResult {
  /**
   * revoked: every token the provider can revoke was; not_supported: the provider has no revocation;
   * partial/failed: see `outcomes`; unreadable: the stored record could not be read, so nothing was sent;
   * already_ended: the provider had ended the grant (a lost connection), so there was nothing to revoke.
   */
  summary: 'revoked' | 'partial' | 'failed' | 'not_supported' | 'unreadable' | 'already_ended';
  outcomes: RevocationOutcome[];
}

/** RFC 7009 §2.1: a form POST of `token` and `token_type_hint`, authenticated as at the token endpoint. */
const RFC7009_REQUEST: RevocationRequestTemplate = {
  method: 'POST',
  tokens: ['refresh_token', 'access_token'],
  clientAuth: 'client',
  headers: {},
  body: { format: 'form', fields: { token: '{token}', token_type_hint: '{token_type_hint}' } },
};

/** The access token revokes itself, sent as Bearer credentials (RFC 6750 §2.1), with no body. */
const BEARER_REQUEST: RevocationRequestTemplate = {
  method: 'POST',
  tokens: ['access_token'],
  clientAuth: 'none',
  headers: { authorization: 'Bearer {token}' },
};

/** The request template a provider revokes with. */
export function revocationRequestOf(provider: ResolvedProvider): RevocationRequestTemplate {
  switch (provider.revocation.style) {
    case 'rfc7009':
      return RFC7009_REQUEST;
    case 'bearer':
      return BEARER_REQUEST;
    case 'request':
      // The schema requires `request` with this style (provider.ts).
      return provider.revocation.request ?? RFC7009_REQUEST;
  }
}

/**
 * The token being revoked authenticates its own revocation: no client credentials are sent, the
 * token is. It must then still be alive to be revoked, and a 401 says it is already dead.
 */
export function revocationAuthenticatedByToken(provider: ResolvedProvider): boolean {
  const template = revocationRequestOf(provider);
  return template.clientAuth === 'none' && Object.values(template.headers).some((value) => value.includes('{token}'));
}

/** Fills `{client_id}`, `{token}`, `{token_type_hint}` (the names the schema allows) in one pass. */
function fill(template: string, values: Record<string, string>, encode: (value: string) => string = (value) => value): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in values ? encode(values[name]) : whole));
}

export function buildRevocationRequests(
  provider: ResolvedProvider,
  client: ClientCredentials,
  tokens: TokenSet,
): Array<{ token: TokenKind; request: HttpRequest }> {
  const endpoint = provider.endpoints.revocation;
  if (!endpoint) return [];
  const template = revocationRequestOf(provider);
  const values: Record<TokenKind, string | undefined> = { refresh_token: tokens.refreshToken, access_token: tokens.accessToken };
  return template.tokens
    .filter((kind) => Boolean(values[kind]))
    .slice(0, provider.revocation.revokesGrant ? 1 : undefined)
    .map((kind) => {
      const placeholders = { client_id: client.clientId, token: values[kind]!, token_type_hint: kind };
      const fields = Object.fromEntries(Object.entries(template.body?.fields ?? {}).map(([name, value]) => [name, fill(value, placeholders)])) as Record<
        string,
        string | undefined
      >;
      const request = {
        url: fill(endpoint, placeholders, encodeURIComponent),
        headers: { accept: 'application/json' } as Record<string, string>,
      };
      if (template.clientAuth === 'client') applyClientAuth(provider.clientAuth, client, provider.id, request, fields);
      if (template.clientAuth === 'basic') applyClientAuth('client_secret_basic', client, provider.id, request, fields);
      // Client authentication in the body (client_secret_post, a public client's client_id) needs one: form, as RFC 7009 §2.1 sends.
      const format = template.body?.format ?? (Object.keys(fields).length ? 'form' : undefined);
      if (format) request.headers['content-type'] = format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
      for (const [name, value] of Object.entries(template.headers)) request.headers[name] = fill(value, placeholders);
      const body = format === 'json' ? JSON.stringify(fields) : format === 'form' ? formEncode(fields) : undefined;
      return { token: kind, request: { method: template.method, url: request.url, headers: request.headers, ...(body === undefined ? {} : { body }) } };
    });
}

export async function revokeTokens(
  ctx: { transport: HttpTransport; timeoutMs?: number },
  provider: ResolvedProvider,
  client: ClientCredentials,
  tokens: TokenSet,
): Promise<RevocationResult> {
  const requests = buildRevocationRequests(provider, client, tokens);
  if (!requests.length) return { summary: 'not_supported', outcomes: [] };
  const outcomes: RevocationOutcome[] = [];
  for (const { token, request } of requests) {
    outcomes.push(await revokeOne(ctx, provider, token, request));
  }
  if (!revocationRequestOf(provider).tokens.includes('refresh_token') && !provider.revocation.revokesGrant && tokens.refreshToken)
    outcomes.push({ token: 'refresh_token', result: 'unsupported' });
  const revoked = outcomes.some((o) => o.result === 'revoked');
  const failed = outcomes.some((o) => o.result === 'failed');
  const summary = failed ? (revoked ? 'partial' : 'failed') : revoked ? 'revoked' : 'not_supported';
  return { summary, outcomes };
}

async function revokeOne(
  ctx: { transport: HttpTransport; timeoutMs?: number },
  provider: ResolvedProvider,
  token: TokenKind,
  request: HttpRequest,
): Promise<RevocationOutcome> {
  let status: number;
  let body;
  try {
    const response = await send(ctx.transport, request, 'revocation endpoint', provider.id, ctx.timeoutMs);
    status = response.status;
    body = decodeBody(response);
  } catch (error) {
    if (isOAuthError(error)) return { token, result: 'failed', reason: error.message };
    throw error;
  }
  // The provider's own error flag (`errorAnswer`), else RFC 7009 §2.2.1's `error` member.
  const flagged = flaggedError(provider, body.fields);
  const raw = flagged ? flagged.code : typeof body.fields?.error === 'string' ? body.fields.error : undefined;
  const error = raw !== undefined ? (provider.errorCodes[raw] ?? raw) : undefined;
  // RFC 7009 §2.2: 200 means revoked, or the token was already invalid; unless the answer flags an error.
  if (status >= 200 && status < 300 && !error && !flagged) return { token, result: 'revoked' };
  if (error === 'unsupported_token_type') return { token, result: 'unsupported' };
  // RFC 7009 §2.2: a token that is already invalid counts as revoked, though some servers answer it
  // with an error (Slack: token_revoked, mapped to invalid_grant; Google: 400 invalid_token).
  if ((error === 'invalid_grant' || error === 'invalid_token') && status < 500) return { token, result: 'revoked' };
  // A token that authenticates its own revocation: a 401 says the token is already dead, since no
  // client credentials were sent that could be wrong (Dropbox answers invalid_access_token).
  if (status === 401 && revocationAuthenticatedByToken(provider)) return { token, result: 'revoked' };
  const reason =
    status === 401 || error === 'invalid_client'
      ? 'the provider refused the client credentials'
      : status >= 500 || status === 429
        ? `the provider is unavailable (HTTP ${status})`
        : `the provider answered HTTP ${status}${error ? ` ${error}` : ''}`;
  return { token, result: 'failed', status, oauthError: error, reason };
}
