/**
 * Who the user is at the provider: the profile (or OpenID Connect userinfo) endpoint, and the
 * readable account name at the preset's path in its answer.
 */
import { describeFlag, flaggedError } from './error-answer';
import { OAuthError } from './errors';
import { decodeBody, describeShape, readPath } from './http';
import type { HttpRequest, HttpResponse } from './ports';
import type { ResolvedProvider } from './provider';
import { redactText } from './redact';

export function profileEndpoint(provider: ResolvedProvider): { url: string; method: 'GET' | 'POST' } | undefined {
  const url = provider.profile?.url ?? provider.endpoints.userinfo;
  return url ? { url, method: provider.profile?.method ?? 'GET' } : undefined;
}

export function buildProfileRequest(provider: ResolvedProvider): Omit<HttpRequest, 'headers'> & { headers: Record<string, string> } {
  const endpoint = profileEndpoint(provider);
  if (!endpoint) throw new OAuthError('provider_misconfigured', `${provider.id} has no profile or userinfo endpoint`, { providerId: provider.id });
  return { method: endpoint.method, url: endpoint.url, headers: { accept: 'application/json' } };
}

export interface Profile {
  /** The decoded profile object. */
  claims: Record<string, unknown>;
  accountName?: string;
}

export function readProfileResponse(provider: ResolvedProvider, response: HttpResponse): Profile {
  const body = decodeBody(response);
  if (response.status < 200 || response.status > 299 || body.shape !== 'json' || !body.fields) {
    const kind = response.status >= 500 || response.status === 429 ? 'provider_unavailable' : 'invalid_response';
    throw new OAuthError(kind, `The profile endpoint of ${provider.id} answered HTTP ${response.status} with ${describeShape(body.shape)}`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  // A provider that flags errors inside HTTP 200 answers (its definition's `errorAnswer`).
  const flagged = flaggedError(provider, body.fields);
  if (flagged) {
    const code = flagged.code ? ` (${redactText(flagged.code).slice(0, 60)})` : '';
    throw new OAuthError('invalid_response', `The profile endpoint of ${provider.id} answered ${describeFlag(provider)}${code}`, {
      providerId: provider.id,
      status: response.status,
    });
  }
  return { claims: body.fields, accountName: accountNameOf(provider, body.fields) };
}

export function accountNameOf(provider: ResolvedProvider, claims: Record<string, unknown>): string | undefined {
  const path = provider.profile?.accountNamePath ?? 'preferred_username';
  const value = readPath(claims, path.split('.'));
  if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 200);
  if (typeof value === 'number') return String(value);
  // OpenID Connect standard claims (Core §5.1) as a fallback for userinfo endpoints.
  for (const claim of ['preferred_username', 'email', 'name', 'sub']) {
    const fallback = claims[claim];
    if (typeof fallback === 'string' && fallback.trim()) return fallback.trim().slice(0, 200);
  }
  return undefined;
}
