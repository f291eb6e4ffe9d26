/**
 * Short-lived records (pending authorizations, connect links) in association-keyed persistence:
 * MISC(`<kind>:<key>`) names one record, MISC(<kind>) all of its kind. Expired records are swept
 * whenever a new one is written, so no scheduler is needed.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import type { z } from 'zod';

interface Expiring {
  expiresAt: number;
}

export class ExpiringRecords<T extends Expiring> {
  constructor(
    private readonly kind: string,
    private readonly schema: z.ZodType<T>,
    private readonly reader: IPersistenceRead,
    private readonly writer: IPersistence,
    private readonly now: () => number = Date.now,
  ) {}

  async put(key: string, record: T): Promise<void> {
    await this.sweep();
    await this.writer.createWithAssociations({ key, record }, [this.all(), this.one(key)]);
  }

  /** Reads a live record without spending it. */
  async peek(key: string): Promise<T | undefined> {
    const [stored] = await this.reader.readByAssociations([this.all(), this.one(key)]);
    return this.live(stored);
  }

  /**
   * Reads and removes a record, expired or not (the caller says "expired" rather than "unknown"):
   * a second take of the same key finds nothing.
   */
  async take(key: string): Promise<T | undefined> {
    const removed = await this.writer.removeByAssociations([this.all(), this.one(key)]);
    const parsed = this.schema.safeParse((removed?.[0] as { record?: unknown } | undefined)?.record);
    return parsed.success ? parsed.data : undefined;
  }

  private async sweep(): Promise<void> {
    const records = await this.reader.readByAssociation(this.all());
    const now = this.now();
    for (const stored of records as Array<{ key?: unknown; record?: { expiresAt?: unknown } }>) {
      const expiresAt = stored?.record?.expiresAt;
      if (typeof stored?.key === 'string' && (typeof expiresAt !== 'number' || expiresAt <= now)) {
        await this.writer.removeByAssociations([this.all(), this.one(stored.key)]);
      }
    }
  }

  private live(stored: unknown): T | undefined {
    const parsed = this.schema.safeParse((stored as { record?: unknown } | undefined)?.record);
    return parsed.success && parsed.data.expiresAt > this.now() ? parsed.data : undefined;
  }

  private all(): RocketChatAssociationRecord {
    return new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, this.kind);
  }

  private one(key: string): RocketChatAssociationRecord {
    return new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `${this.kind}:${key}`);
  }
}
