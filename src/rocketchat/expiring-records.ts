/**
 * Short-lived records (pending authorizations, connect links) in association-keyed persistence.
 * Associations, all MISC: `<kind>` (every record of the kind), `<kind>:<key>` (one record),
 * `<kind>@<group>` (a group, e.g. the states of one link), and `<kind>~<minute>` (the minute the
 * record expires in).
 *
 * Expired records are swept without reading them: every minute bucket that has fully passed is
 * removed with one call. A sweep runs at most once a minute per process, and removes at most
 * SWEEP_BUCKETS buckets (the rest waits for the next sweep), so no request pays for a backlog.
 * Where the sweep got to is kept in a cursor record, so a restart neither forgets old buckets nor
 * sweeps from the beginning of time; without one (records from before buckets existed), the whole
 * kind is cleared once, with one call.
 *
 * Each record carries a format number; one of another format (a version of the app before or after
 * this one) lives ten minutes at most, so it is read as absent ("start again") rather than migrated.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import type * as z from 'zod/mini';
import { fromEngine, toEngine } from './engine-boundary';

export const EXPIRING_RECORD_FORMAT = 1;
const MINUTE_MS = 60_000;
/** Buckets removed by one sweep at most: half an hour of expiries. */
export const SWEEP_BUCKETS = 30;
/** A cursor this far behind (or none: records from before buckets existed) is caught up by one read of the kind. */
const CATCH_UP_AFTER_BUCKETS = 24 * 60;

interface Expiring {
  expiresAt: number;
}

/** When each kind was last swept by this process. */
const lastSweep = new Map<string, number>();

export class ExpiringRecords<T extends Expiring> {
  constructor(
    private readonly kind: string,
    private readonly schema: z.ZodMiniType<T>,
    private readonly reader: IPersistenceRead,
    private readonly writer: IPersistence,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a record under its key, in the given groups. */
  async put(key: string, record: T, groups: string[] = []): Promise<void> {
    await this.sweepIfDue();
    const associations = [this.all(), this.one(key), this.bucket(bucketOf(record.expiresAt)), ...groups.map((group) => this.group(group))];
    await this.writer.createWithAssociations(toEngine({ format: EXPIRING_RECORD_FORMAT, key, record }), associations);
  }

  /**
   * Rewrites a record in place; its expiry and groups must be the ones it was stored with (the
   * engine's update matches the exact list of associations).
   */
  async update(key: string, record: T, groups: string[] = []): Promise<void> {
    const associations = [this.all(), this.one(key), this.bucket(bucketOf(record.expiresAt)), ...groups.map((group) => this.group(group))];
    await this.writer.updateByAssociations(associations, toEngine({ format: EXPIRING_RECORD_FORMAT, key, record }), false);
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
    return this.read(removed?.[0])?.record;
  }

  /** The live records of a group, with their keys, oldest expiry first. */
  async inGroup(group: string): Promise<Array<{ key: string; record: T }>> {
    const stored = await this.reader.readByAssociations([this.all(), this.group(group)]);
    return stored
      .map((item) => this.read(item))
      .filter((item): item is { key: string; record: T } => item !== undefined && item.record.expiresAt > this.now())
      .sort((a, b) => a.record.expiresAt - b.record.expiresAt);
  }

  /** Removes every record of a group. */
  async removeGroup(group: string): Promise<void> {
    await this.writer.removeByAssociations([this.all(), this.group(group)]);
  }

  /** Removes the buckets that have fully passed since the last sweep, once a minute at most. */
  async sweepIfDue(): Promise<void> {
    const now = this.now();
    if (now - (lastSweep.get(this.kind) ?? 0) < MINUTE_MS) return;
    lastSweep.set(this.kind, now);
    const lastFull = bucketOf(now) - 1;
    const cursorAssociations = [this.cursor()];
    const [stored] = await this.reader.readByAssociations(cursorAssociations);
    const cursor = (fromEngine(stored) as { bucket?: unknown } | undefined)?.bucket;
    let from: number;
    if (typeof cursor !== 'number' || lastFull - cursor > CATCH_UP_AFTER_BUCKETS) {
      await this.catchUp();
      from = lastFull + 1;
    } else {
      from = cursor + 1;
    }
    const to = Math.min(lastFull, from + SWEEP_BUCKETS - 1);
    const buckets: number[] = [];
    for (let bucket = from; bucket <= to; bucket += 1) buckets.push(bucket);
    await Promise.all(buckets.map((bucket) => this.writer.removeByAssociations([this.all(), this.bucket(bucket)])));
    await this.writer.updateByAssociations(cursorAssociations, { bucket: Math.max(to, from - 1) }, true);
  }

  /**
   * No cursor (the first sweep ever, after an upgrade from a version without buckets) or one a day
   * behind (the app was off): nothing of the kind can still be live but what other instances wrote
   * in the last minutes, which at worst means "start again". One call removes the lot, however big
   * the backlog, instead of one call per record.
   */
  private async catchUp(): Promise<void> {
    await this.writer.removeByAssociation(this.all());
  }

  private live(stored: unknown): T | undefined {
    const record = this.read(stored)?.record;
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  private read(stored: unknown): { key: string; record: T } | undefined {
    const envelope = fromEngine(stored) as { format?: unknown; key?: unknown; record?: unknown } | undefined;
    if (envelope?.format !== EXPIRING_RECORD_FORMAT || typeof envelope.key !== 'string') return undefined;
    const parsed = this.schema.safeParse(envelope.record);
    return parsed.success ? { key: envelope.key, record: parsed.data } : undefined;
  }

  private all(): RocketChatAssociationRecord {
    return misc(this.kind);
  }

  private one(key: string): RocketChatAssociationRecord {
    return misc(`${this.kind}:${key}`);
  }

  private group(group: string): RocketChatAssociationRecord {
    return misc(`${this.kind}@${group}`);
  }

  private bucket(bucket: number): RocketChatAssociationRecord {
    return misc(`${this.kind}~${bucket}`);
  }

  /** The sweep cursor: not of the kind itself, so reading the kind never meets it. */
  private cursor(): RocketChatAssociationRecord {
    return misc(`${this.kind}#sweep`);
  }
}

function bucketOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS);
}

function misc(id: string): RocketChatAssociationRecord {
  return new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
}

/** For tests: forget when each kind was last swept. */
export function resetSweepClock(): void {
  lastSweep.clear();
}
