/**
 * What the service's tables hold, and how a row read back becomes the core's types. The database is
 * outside input to this process (another version of the service, an operator's hand, a damaged
 * file may have written it), so every row is checked with zod before anything uses it.
 *
 * - A token record is the connection without its user and provider (those are the row's key, so a
 *   record can never claim another owner), plus a format number. One that cannot be read is the
 *   core's `reconnect_required` with the reason `unreadable_record`, as src/rocketchat/token-store.ts
 *   does it: the user is told to connect again, never that they are not connected.
 * - A pending authorization lives ten minutes: one that cannot be read is absent ("start again").
 * - A connect link is plain columns.
 */
import * as z from 'zod/mini';
import { OAuthError } from '../../core/errors';
import type { PendingAuthorization, StoredConnection } from '../../core/ports';
import '../../core/zod-messages';
import { connectionFields, hasAccessTokenUnlessLost, pendingAuthorizationSchema, unreadableReason } from '../../core/stored-shapes';
import type { ConnectLink } from '../../app/connect-links';

/** Where the stores say what they could not read: user, provider and a field path, never a value. */
export interface StorageLogger {
  warn(message: string): void;
}

/** The token record format this version writes and reads; a later one gets a new number and a migration here. */
export const TOKEN_RECORD_FORMAT = 1;

const tokenRecordSchema = z.object({ format: z.literal(TOKEN_RECORD_FORMAT), ...connectionFields }).check(hasAccessTokenUnlessLost);

/** The JSON text stored for a connection. */
export function tokenRecordJson(connection: StoredConnection): string {
  const { userId: _userId, providerId: _providerId, ...rest } = connection;
  return JSON.stringify({ format: TOKEN_RECORD_FORMAT, ...rest });
}

/** Unreadable records already reported by this process: one warning each, not one per command. */
const reported = new Set<string>();

/** The connection a row holds; `raw` is the record column, JSON text. */
export function readTokenRecord(userId: string, providerId: string, raw: unknown, logger?: StorageLogger): StoredConnection {
  const reading = readRecord(raw);
  if ('record' in reading) {
    const { format: _format, ...rest } = reading.record;
    return { userId, providerId, ...rest };
  }
  const why = reading.unreadable;
  const key = `${userId}\u0000${providerId}\u0000${why}`;
  if (!reported.has(key)) {
    reported.add(key);
    logger?.warn(`The stored ${providerId} connection of user ${userId} cannot be read (${why}); the user is asked to connect again`);
  }
  throw new OAuthError('reconnect_required', `The stored ${providerId} connection cannot be read: ${why}`, { providerId, reason: 'unreadable_record' });
}

/** The record, or why not: a field path and what was wrong, never a value. */
function readRecord(raw: unknown): { record: z.infer<typeof tokenRecordSchema> } | { unreadable: string } {
  const value = parseJsonColumn(raw);
  if (value === undefined) return { unreadable: 'not JSON' };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { unreadable: 'not an object' };
  const format = (value as { format?: unknown }).format;
  if (typeof format === 'number' && format > TOKEN_RECORD_FORMAT) return { unreadable: `format ${format} was written by a newer version of the service` };
  const parsed = tokenRecordSchema.safeParse(value);
  if (parsed.success) return { record: parsed.data };
  return { unreadable: unreadableReason(parsed.error.issues[0]) };
}

export function pendingRecordJson(pending: PendingAuthorization): string {
  return JSON.stringify(pending);
}

/** The pending authorization a row held; undefined (and one warning) when it cannot be read or is another state's. */
export function readPendingRecord(state: string, raw: unknown, logger?: StorageLogger): PendingAuthorization | undefined {
  const parsed = pendingAuthorizationSchema.safeParse(parseJsonColumn(raw));
  if (parsed.success && parsed.data.state === state) return parsed.data;
  logger?.warn('A pending authorization cannot be read; the user is asked to start again');
  return undefined;
}

/** A connect link row, as both databases answer it (epoch ms selected as a double, so a number either way). */
const linkRowSchema = z.object({
  link_id: z.string(),
  user_id: z.string(),
  provider_id: z.string(),
  room_id: z.string(),
  expires_at: z.number(),
  browser_binding: z.nullable(z.string()),
  person_name: z.nullable(z.string()),
  person_language: z.nullable(z.string()),
});

export type LinkRow = z.infer<typeof linkRowSchema>;

/** The link a row holds, or undefined when the row is malformed (it would be refused as "no such link" anyway). */
export function readLinkRow(raw: unknown): (ConnectLink & { linkId: string }) | undefined {
  const parsed = linkRowSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const row = parsed.data;
  return {
    linkId: row.link_id,
    userId: row.user_id,
    providerId: row.provider_id,
    roomId: row.room_id,
    expiresAt: row.expires_at,
    ...(row.browser_binding === null ? {} : { browserBinding: row.browser_binding }),
    ...(row.person_name === null || row.person_language === null ? {} : { person: { displayName: row.person_name, language: row.person_language } }),
  };
}

/** The same value a caller stored: a link without its id. */
export function linkOf(row: ConnectLink & { linkId: string }): ConnectLink {
  const { linkId: _linkId, ...link } = row;
  return link;
}

/** The value of a JSON text column; undefined when it is not text or not JSON. */
function parseJsonColumn(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
