/**
 * Pending authorizations in PostgreSQL, one per connect link. The partial unique index on `link_id`
 * (migrations.ts) is the conflict target: a link's new state replaces its earlier one in the same
 * statement, and two instances putting for one link at once end with one row, the later one (ON
 * CONFLICT DO UPDATE is atomic under concurrency: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT).
 */
import type { Pool } from 'pg';
import type { PendingAuthorization } from '../../../core/ports';
import type { LinkedStateStore } from '../../../app/connect-links';
import { pendingRecordJson, readPendingRecord, type StorageLogger } from '../records';
import type { SweepGate } from '../sweep';
import { requireStorable, storable } from './text';

const PUT_FOR_LINK = `INSERT INTO pending_states (state, link_id, record, expires_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (link_id) WHERE link_id IS NOT NULL
  DO UPDATE SET state = EXCLUDED.state, record = EXCLUDED.record, expires_at = EXCLUDED.expires_at`;
const PUT_ALONE = `INSERT INTO pending_states (state, link_id, record, expires_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (state) DO UPDATE SET link_id = EXCLUDED.link_id, record = EXCLUDED.record, expires_at = EXCLUDED.expires_at`;

export class PostgresStateStore implements LinkedStateStore {
  constructor(
    private readonly pool: Pool,
    private readonly sweeper: SweepGate,
    private readonly logger?: StorageLogger,
  ) {}

  async put(pending: PendingAuthorization): Promise<void> {
    await this.sweeper.sweepIfDue();
    const linkId = pending.context?.linkId;
    requireStorable('state or link id', pending.state, linkId);
    await this.pool.query(linkId ? PUT_FOR_LINK : PUT_ALONE, [pending.state, linkId ?? null, pendingRecordJson(pending), pending.expiresAt]);
  }

  /**
   * Single use in one statement: of concurrent takes, the one whose DELETE removes the row gets it
   * through RETURNING (https://www.postgresql.org/docs/current/dml-returning.html); the others find
   * no row. Answers an expired record too, until it is swept: the core then tells the user it expired.
   */
  async take(state: string): Promise<PendingAuthorization | undefined> {
    if (!storable(state)) return undefined;
    const { rows } = await this.pool.query<{ record: unknown }>('DELETE FROM pending_states WHERE state = $1 RETURNING record', [state]);
    return rows.length ? readPendingRecord(state, rows[0].record, this.logger) : undefined;
  }

  async cancelLink(linkId: string): Promise<void> {
    if (!storable(linkId)) return;
    await this.pool.query('DELETE FROM pending_states WHERE link_id = $1', [linkId]);
  }
}
