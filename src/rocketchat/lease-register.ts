/**
 * The refresh lease's register (src/core/register-lease.ts) on the engine's persistence: one record
 * per lease key under MISC(`oauth-lease:<key>`), replaced whole by each write (the engine's
 * update-by-associations with upsert; there is no compare-and-set to be had).
 *
 * Releasing writes an empty owner rather than removing the record, so after a key's first use every
 * write updates the one record. Only the very first writes of a key can race into two records (two
 * upserts that both found none, as MongoDB allows without a unique index): a read that finds more
 * than one removes them all and reports the key held, so that attempt gives up and the next starts
 * from one record again.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import * as z from 'zod/mini';
import type { LeaseClaim, LeaseRegister } from '../core/register-lease';
import '../core/zod-messages';
import { fromEngine, toEngine } from './engine-boundary';

const LEASE_RECORD_FORMAT = 1;

const claimSchema = z.object({ format: z.literal(LEASE_RECORD_FORMAT), owner: z.string(), until: z.number() });

/** Reported for a key found in two records: held by nobody this attempt can trust. */
const CONTENDED: LeaseClaim = { owner: 'contended', until: Number.MAX_SAFE_INTEGER };

export class AssociationLeaseRegister implements LeaseRegister {
  constructor(
    private readonly reader: IPersistenceRead,
    private readonly writer: IPersistence,
  ) {}

  async read(key: string): Promise<LeaseClaim | undefined> {
    const records = await this.reader.readByAssociations(this.associations(key));
    if (records.length > 1) {
      await this.writer.removeByAssociations(this.associations(key));
      return CONTENDED;
    }
    if (!records.length) return undefined;
    const parsed = claimSchema.safeParse(fromEngine(records[0]));
    // A record this version cannot read holds nothing: the next write replaces it.
    return parsed.success ? { owner: parsed.data.owner, until: parsed.data.until } : undefined;
  }

  async write(key: string, claim: LeaseClaim): Promise<void> {
    await this.writer.updateByAssociations(this.associations(key), toEngine({ format: LEASE_RECORD_FORMAT, ...claim }), true);
  }

  private associations(key: string): RocketChatAssociationRecord[] {
    return [new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `oauth-lease:${encodeURIComponent(key)}`)];
  }
}
