/**
 * Token sets: what a token response means once received. Expiry is absolute (computed at receipt
 * from the relative `expires_in`, RFC 6749 §5.1), so it can be checked at any later time.
 */
import * as z from 'zod/mini';
import './zod-messages';

export interface TokenSet {
  accessToken: string;
  /** As the server named it (`Bearer`, Slack's `user`). */
  tokenType: string;
  refreshToken?: string;
  /** Epoch ms; absent when the server gave no `expires_in` (the token has no known end). */
  expiresAt?: number;
  /** Epoch ms at which this access token was received. */
  obtainedAt: number;
  /** Granted scopes: the response's `scope`, else what was asked for (RFC 6749 §5.1). */
  scopes: string[];
  /** What the authorization request asked for; `scopes` may be narrower (RFC 6749 §3.3). */
  requestedScopes?: string[];
  // No ID token: nothing reads it after the exchange, so it is not kept (it carries personal claims,
  // and it was most of a stored record's size, which every token read carries across the runtime).
}

/**
 * What a lost connection keeps of its tokens: the scopes granted and asked for (what the user had),
 * no token of any kind, and an expiry in the past so that nothing could mistake it for a usable one.
 */
export function wipedTokens(tokens: TokenSet, now: number): TokenSet {
  return {
    accessToken: '',
    tokenType: tokens.tokenType,
    scopes: tokens.scopes,
    requestedScopes: tokens.requestedScopes,
    obtainedAt: tokens.obtainedAt,
    expiresAt: now,
  };
}

/** `expires_in` as JSON number or, in form-encoded answers (GitHub), as a string of digits. */
const seconds = z.pipe(z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]), z.number().check(z.int(), z.nonnegative()));

/** RFC 6749 §5.1 successful response, after the provider's nesting (`tokenPath`) is applied. */
export const tokenResponseSchema = z.object({
  access_token: z.string().check(z.minLength(1, 'is empty')),
  // REQUIRED by RFC 6749 §5.1, yet omitted by some servers; Bearer (RFC 6750) is what they mean.
  token_type: z._default(z.string().check(z.minLength(1)), 'Bearer'),
  expires_in: z.optional(seconds),
  refresh_token: z.optional(z.string().check(z.minLength(1))),
  scope: z.optional(z.string()),
  id_token: z.optional(z.string()),
});

export type TokenResponse = z.output<typeof tokenResponseSchema>;

/**
 * An `expires_in` beyond ten years is not a lifetime in seconds (Chatwork's documentation shows an
 * epoch-milliseconds value there): such a token is treated as having no known end, used until the
 * provider refuses it, rather than as valid for millennia.
 */
export const MAX_PLAUSIBLE_LIFETIME_S = 10 * 365 * 24 * 3600;

export function tokenSetFromResponse(response: TokenResponse, at: { now: number; requestedScopes: ReadonlyArray<string>; previous?: TokenSet }): TokenSet {
  const { previous } = at;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    // RFC 6749 §6: the server MAY issue a new refresh token; when it does not, the old one stays valid.
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    // expires_in of 0 is treated as "already expired" rather than "never": the next use refreshes.
    expiresAt: response.expires_in === undefined || response.expires_in > MAX_PLAUSIBLE_LIFETIME_S ? undefined : at.now + response.expires_in * 1000,
    obtainedAt: at.now,
    scopes: response.scope !== undefined ? splitScopes(response.scope) : (previous?.scopes ?? [...at.requestedScopes]),
    requestedScopes: previous ? previous.requestedScopes : [...at.requestedScopes],
  };
}

/**
 * Scopes asked for but not granted (RFC 6749 §3.3: the server may grant fewer, and then says so in
 * `scope`). `naming` is the provider's: scopes it reports under another name, and scopes it grants
 * without listing them.
 */
export function missingScopes(
  tokens: TokenSet,
  naming: { reportedAs: Record<string, string>; unreported: ReadonlyArray<string>; emptyMeansUnlisted: boolean },
): string[] {
  if (naming.emptyMeansUnlisted && tokens.scopes.length === 0) return [];
  const granted = new Set(tokens.scopes);
  return (tokens.requestedScopes ?? []).filter(
    (scope) => !naming.unreported.includes(scope) && !granted.has(scope) && !granted.has(naming.reportedAs[scope] ?? scope),
  );
}

/**
 * Granted scopes as a list. Split on spaces (RFC 6749 §3.3) and on commas: GitHub asks for
 * space-separated scopes but answers comma-separated ones, Slack uses commas both ways, and no
 * provider's scope names contain a comma.
 */
export function splitScopes(scope: string): string[] {
  return scope.split(/[\s,]+/).filter(Boolean);
}

export const DEFAULT_REFRESH_MARGIN_MS = 60_000;

/**
 * Whether the access token should be refreshed before use: when less than the margin remains.
 * The margin is at most half the token's lifetime, so a 2-second token is not refreshed forever.
 * A token without expiry is used until the server rejects it.
 */
export function needsRefresh(tokens: TokenSet, now: number, marginMs = DEFAULT_REFRESH_MARGIN_MS): boolean {
  if (tokens.expiresAt === undefined) return false;
  const lifetime = tokens.expiresAt - tokens.obtainedAt;
  const margin = Math.min(marginMs, lifetime / 2);
  return tokens.expiresAt - now <= margin;
}

/** For display: the last four characters and the length, never the token. */
export function maskToken(token: string): { last4: string; length: number } {
  return { last4: token.length > 8 ? token.slice(-4) : '', length: token.length };
}
