/**
 * Token revocation. RFC 7009 §2.1: the refresh token first (a server SHOULD then drop the access
 * tokens of the same grant too), then the access token, each with `token_type_hint` and the same
 * client authentication as the token endpoint. Some providers revoke differently; their preset
 * names the style. The outcome says what the provider said for each token.
 */
import { applyClientAuth, basicCredentials } from './client-auth';
import { isOAuthError } from './errors';
import { decodeBody, formEncode, send } from './http';
import type { HttpRequest, HttpTransport } from './ports';
import type { ClientCredentials, ResolvedProvider } from './provider';
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
   * partial/failed: see `outcomes`; unreadable: the stored record could not be read, so nothing was sent.
   */
  summary: 'revoked' | 'partial' | 'failed' | 'not_supported' | 'unreadable';
  outcomes: RevocationOutcome[];
}

export function buildRevocationRequests(
  provider: ResolvedProvider,
  client: ClientCredentials,
  tokens: TokenSet,
): Array<{ token: TokenKind; request: HttpRequest }> {
  const endpoint = provider.endpoints.revocation;
  if (!endpoint) return [];
  switch (provider.revocation.style) {
    case 'rfc7009': {
      const order: Array<[TokenKind, string | undefined]> = [
        ['refresh_token', tokens.refreshToken],
        ['access_token', tokens.accessToken],
      ];
      return order
        .filter((entry): entry is [TokenKind, string] => Boolean(entry[1]))
        .slice(0, provider.revocation.revokesGrant ? 1 : 2)
        .map(([kind, value]) => {
          const fields: Record<string, string | undefined> = { token: value, token_type_hint: kind };
          const request = {
            url: endpoint,
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as Record<string, string>,
          };
          applyClientAuth(provider.clientAuth, client, provider.id, request, fields);
          return { token: kind, request: { method: 'POST' as const, url: request.url, headers: request.headers, body: formEncode(fields) } };
        });
    }
    case 'bearer':
      // Dropbox /2/auth/token/revoke and Slack auth.revoke: the token revokes itself.
      return [
        {
          token: 'access_token',
          request: { method: 'POST', url: endpoint, headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' } },
        },
      ];
    case 'github':
      // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
      return [
        {
          token: 'access_token',
          request: {
            method: 'DELETE',
            url: endpoint.replace('{client_id}', encodeURIComponent(client.clientId)),
            headers: {
              authorization: basicCredentials(client.clientId, client.clientSecret ?? ''),
              accept: 'application/vnd.github+json',
              'content-type': 'application/json',
            },
            body: JSON.stringify({ access_token: tokens.accessToken }),
          },
        },
      ];
  }
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
  if (provider.revocation.style !== 'rfc7009' && !provider.revocation.revokesGrant && tokens.refreshToken)
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
  const error = typeof body.fields?.error === 'string' ? (provider.errorCodes[body.fields.error] ?? body.fields.error) : undefined;
  // RFC 7009 §2.2: 200 means revoked, or the token was already invalid. Slack says ok:false in a 200.
  if (status >= 200 && status < 300 && !error && body.fields?.ok !== false) return { token, result: 'revoked' };
  if (error === 'unsupported_token_type') return { token, result: 'unsupported' };
  // RFC 7009 §2.2: a token that is already invalid counts as revoked, though some servers answer it
  // with an error (Slack: token_revoked, mapped to invalid_grant; Google: 400 invalid_token).
  if ((error === 'invalid_grant' || error === 'invalid_token') && status < 500) return { token, result: 'revoked' };
  // A token that authenticates its own revocation: a 401 says the token is already dead, since no
  // client credentials were sent that could be wrong (Dropbox answers invalid_access_token).
  if (status === 401 && provider.revocation.style === 'bearer') return { token, result: 'revoked' };
  const reason =
    status === 401 || error === 'invalid_client'
      ? 'the provider refused the client credentials'
      : status >= 500 || status === 429
        ? `the provider is unavailable (HTTP ${status})`
        : `the provider answered HTTP ${status}${error ? ` ${error}` : ''}`;
  return { token, result: 'failed', status, oauthError: error, reason };
}
