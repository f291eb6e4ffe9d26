/**
 * The core's TokenStore on the engine's association-keyed persistence: one record per user and
 * provider, under USER(userId) + MISC(`oauth-token:<provider>`). Rocket.Chat matches a record
 * when it has every association asked for, so the pair names exactly one record.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import { z } from 'zod';
import type { StoredConnection, TokenStore } from '../core/ports';

const storedSchema = z.object({
  userId: z.string(),
  providerId: z.string(),
  accountName: z.string().optional(),
  connectedAt: z.number(),
  tokens: z.object({
    accessToken: z.string().min(1),
    tokenType: z.string(),
    refreshToken: z.string().optional(),
    expiresAt: z.number().optional(),
    obtainedAt: z.number(),
    scopes: z.array(z.string()),
    idToken: z.string().optional(),
  }),
});

export function tokenAssociations(userId: string, providerId: string): RocketChatAssociationRecord[] {
  return [
    new RocketChatAssociationRecord(RocketChatAssociationModel.USER, userId),
    new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `oauth-token:${providerId}`),
  ];
}

export class AssociationTokenStore implements TokenStore {
  constructor(
    private readonly reader: IPersistenceRead,
    /** Absent where the engine gives no write access (a read-only context). */
    private readonly writer?: IPersistence,
  ) {}

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    const [record] = await this.reader.readByAssociations(tokenAssociations(userId, providerId));
    if (!record) return undefined;
    const parsed = storedSchema.safeParse(record);
    // A record this version cannot read is treated as no connection: the user connects again.
    return parsed.success ? parsed.data : undefined;
  }

  async put(connection: StoredConnection): Promise<void> {
    await this.write().updateByAssociations(tokenAssociations(connection.userId, connection.providerId), connection, true);
  }

  async delete(userId: string, providerId: string): Promise<void> {
    await this.write().removeByAssociations(tokenAssociations(userId, providerId));
  }

  private write(): IPersistence {
    if (!this.writer) throw new Error('This context cannot write to persistence');
    return this.writer;
  }
}
