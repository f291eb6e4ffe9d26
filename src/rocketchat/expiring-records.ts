/**
 * Short-lived records (pending authorizations, connect links) in association-keyed persistence:
 * MISC(`<kind>:<key>`) names one record, MISC(<kind>) all of its kind. Expired records are swept
 * whenever a new one is written, so no scheduler is needed. Each carries a format number; one of
 * another format (a version of the app before or after this one) lives ten minutes at most, so it is
 * read as absent ("start again") rather than migrated.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import type { z } from 'zod';
import { fromEngine, toEngine } from './engine-boundary';

export const EXPIRING_RECORD_FORMAT = 1;

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
    await this.writer.createWithAssociations(toEngine({ format: EXPIRING_RECORD_FORMAT, key, record }), [this.all(), this.one(key)]);
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
    return this.read(removed?.[0]);
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
    const record = this.read(stored);
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  private read(stored: unknown): T | undefined {
    const envelope = fromEngine(stored) as { format?: unknown; record?: unknown } | undefined;
    if (envelope?.format !== EXPIRING_RECORD_FORMAT) return undefined;
    const parsed = this.schema.safeParse(envelope.record);
    return parsed.success ? parsed.data : undefined;
  }

  private all(): RocketChatAssociationRecord {
    return new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, this.kind);
  }

  private one(key: string): RocketChatAssociationRecord {
    return new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `${this.kind}:${key}`);
  }
}
