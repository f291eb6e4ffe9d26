/**
 * The persisted shapes of the core's records, as every platform's store reads them back: the
 * database is outside input (another version, an operator's hand, a damaged file may have written
 * it), so a store checks each record with these before anything uses it. Each store adds its own
 * framing (a format number, the keys it files the record under).
 */
import * as z from 'zod/mini';
import './zod-messages';

/** What a connection holds besides its owner; a lost one (`lost`) holds no token. */
export const connectionFields = {
  accountName: z.optional(z.string()),
  connectedAt: z.number(),
  lost: z.optional(z.object({ at: z.number(), reason: z.enum(['grant_rejected', 'expired', 'unreadable_record']) })),
  tokens: z.object({
    accessToken: z.string(),
    tokenType: z.string(),
    refreshToken: z.optional(z.string()),
    expiresAt: z.optional(z.number()),
    obtainedAt: z.number(),
    scopes: z.array(z.string()),
    requestedScopes: z.optional(z.array(z.string())),
    // An ID token older versions kept is dropped when read (an object schema keeps only its keys).
  }),
};

/** Only a lost connection holds no access token (its tokens were wiped). */
export const hasAccessTokenUnlessLost = z.refine<{ lost?: unknown; tokens: { accessToken: string } }>(
  (record) => record.lost !== undefined || record.tokens.accessToken.length > 0,
  { path: ['tokens', 'accessToken'], message: 'empty' },
);

/** A pending authorization (ports.ts PendingAuthorization). */
export const pendingAuthorizationSchema = z.object({
  state: z.string(),
  userId: z.string(),
  providerId: z.string(),
  codeVerifier: z.optional(z.string()),
  redirectUri: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.number(),
  context: z.optional(z.record(z.string(), z.string())),
  browserBinding: z.optional(z.string()),
});

/** Why a record did not read, for the log: a field path and what was wrong, never a value. */
export function unreadableReason(issue: { path: ReadonlyArray<PropertyKey>; code: string; expected?: unknown }): string {
  return `${issue.path.map(String).join('.') || '(record)'}: ${issue.code === 'invalid_type' ? `expected ${String(issue.expected)}` : issue.code}`;
}
