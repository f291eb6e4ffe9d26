/**
 * The core's TokenStore on the engine's association-keyed persistence: one record per user and
 * provider, under USER(userId) + MISC(`oauth-token:<provider>`). Rocket.Chat matches a record
 * when it has every association asked for, so the pair names exactly one record.
 *
 * Records carry a format number. Reading is tolerant (absent and `null` are the same, see
 * engine-boundary.ts) and migrates older formats; a record that still cannot be read is reported
 * once in the log, naming the reason and never a value, and the user is told to connect again.
 */
import type { ILogger, IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import * as z from 'zod/mini';
import { OAuthError } from '../core/errors';
import type { StoredConnection, TokenStore } from '../core/ports';
import '../core/zod-messages';
import { connectionFields, hasAccessTokenUnlessLost, unreadableReason } from '../core/stored-shapes';
import { fromEngine, toEngine } from './engine-boundary';

/**
 * The format this version writes. 2: a connection the provider ended is kept (`lost`, its tokens
 * wiped), and token values may be sealed (src/core/sealed-stores.ts). A version that reads only 1
 * tells the user to connect again rather than use either.
 */
export const TOKEN_RECORD_FORMAT = 2;

const recordSchema = z
  .object({ format: z.literal(TOKEN_RECORD_FORMAT), userId: z.string(), providerId: z.string(), ...connectionFields })
  .check(hasAccessTokenUnlessLost);

type TokenRecord = z.infer<typeof recordSchema>;

/**
 * From each older format to the next. Format 0 is what 0.1.0 wrote: the same fields without a
 * format number (and, on the Deno runtime, `null` for the optional ones, which reading drops).
 */
const MIGRATIONS: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {
  0: (record) => ({ ...record, format: 1 }),
  1: (record) => ({ ...record, format: 2 }),
};

export type RecordReading = { connection: StoredConnection } | { unreadable: string };

/** Reads a stored record of any known format; `unreadable` names why not (field paths, never values). */
export function readTokenRecord(raw: unknown): RecordReading {
  let record = fromEngine(raw);
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { unreadable: 'not an object' };
  let format = (record as { format?: unknown }).format ?? 0;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 0) return { unreadable: 'format: not a format number' };
  if (format > TOKEN_RECORD_FORMAT) return { unreadable: `format ${format} was written by a newer version of the app` };
  while (format < TOKEN_RECORD_FORMAT) {
    record = MIGRATIONS[format](record as Record<string, unknown>);
    format += 1;
  }
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) {
    return { unreadable: unreadableReason(parsed.error.issues[0]) };
  }
  const { format: _format, ...connection } = parsed.data;
  return { connection };
}

export function tokenRecordOf(connection: StoredConnection): TokenRecord {
  return toEngine({ format: TOKEN_RECORD_FORMAT, ...connection });
}

export function tokenAssociations(userId: string, providerId: string): RocketChatAssociationRecord[] {
  return [
    new RocketChatAssociationRecord(RocketChatAssociationModel.USER, userId),
    new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `oauth-token:${providerId}`),
  ];
}

/** Unreadable records already reported by this process: one warning each, not one per command. */
const reported = new Set<string>();

export class AssociationTokenStore implements TokenStore {
  constructor(
    private readonly reader: IPersistenceRead,
    /** Absent where the engine gives no write access (a read-only context). */
    private readonly writer?: IPersistence,
    private readonly logger?: ILogger,
  ) {}

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    const [record] = await this.reader.readByAssociations(tokenAssociations(userId, providerId));
    if (record === undefined || record === null) return undefined;
    const reading = readTokenRecord(record);
    if ('connection' in reading) return reading.connection;
    const key = `${userId}\u0000${providerId}\u0000${reading.unreadable}`;
    if (!reported.has(key)) {
      reported.add(key);
      this.logger?.warn(`The stored ${providerId} connection of user ${userId} cannot be read (${reading.unreadable}); the user is asked to connect again`);
    }
    throw new OAuthError('reconnect_required', `The stored ${providerId} connection cannot be read: ${reading.unreadable}`, {
      providerId,
      reason: 'unreadable_record',
    });
  }

  async put(connection: StoredConnection): Promise<void> {
    await this.write().updateByAssociations(tokenAssociations(connection.userId, connection.providerId), tokenRecordOf(connection), true);
  }

  async delete(userId: string, providerId: string): Promise<void> {
    await this.write().removeByAssociations(tokenAssociations(userId, providerId));
  }

  private write(): IPersistence {
    if (!this.writer) throw new Error('This context cannot write to persistence');
    return this.writer;
  }
}
