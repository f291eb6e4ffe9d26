/**
 * Pending authorizations in SQLite, one per connect link: the partial unique index on `link_id`
 * (migrations.ts) makes a link's new state replace its earlier one in the same statement, so no
 * moment exists where the link has two, or none half-written.
 */
import type Database from 'better-sqlite3';
import type { PendingAuthorization } from '../../../core/ports';
import type { LinkedStateStore } from '../../../app/connect-links';
import { pendingRecordJson, readPendingRecord, type StorageLogger } from '../records';
import type { SweepGate } from '../sweep';

type Row = [state: string, linkId: string | null, record: string, expiresAt: number];

export class SqliteStateStore implements LinkedStateStore {
  private readonly putForLink: Database.Statement<Row>;
  private readonly putAlone: Database.Statement<Row>;
  private readonly takeOne: Database.Statement<[string], { record: unknown }>;
  private readonly cancel: Database.Statement<[string]>;

  constructor(
    db: Database.Database,
    private readonly sweeper: SweepGate,
    private readonly logger?: StorageLogger,
  ) {
    // The conflict target names the partial index, WHERE included (https://www.sqlite.org/lang_upsert.html).
    this.putForLink = db.prepare(
      `INSERT INTO pending_states (state, link_id, record, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (link_id) WHERE link_id IS NOT NULL
       DO UPDATE SET state = excluded.state, record = excluded.record, expires_at = excluded.expires_at`,
    );
    this.putAlone = db.prepare(
      `INSERT INTO pending_states (state, link_id, record, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (state) DO UPDATE SET link_id = excluded.link_id, record = excluded.record, expires_at = excluded.expires_at`,
    );
    // Single use in one statement: whoever deletes the row gets it (https://www.sqlite.org/lang_returning.html).
    this.takeOne = db.prepare('DELETE FROM pending_states WHERE state = ? RETURNING record');
    this.cancel = db.prepare('DELETE FROM pending_states WHERE link_id = ?');
  }

  async put(pending: PendingAuthorization): Promise<void> {
    await this.sweeper.sweepIfDue();
    const linkId = pending.context?.linkId;
    const row: Row = [pending.state, linkId ?? null, pendingRecordJson(pending), pending.expiresAt];
    (linkId ? this.putForLink : this.putAlone).run(...row);
  }

  /** Answers an expired record too, until it is swept: the core then tells the user it expired. */
  async take(state: string): Promise<PendingAuthorization | undefined> {
    const row = this.takeOne.get(state);
    return row && readPendingRecord(state, row.record, this.logger);
  }

  async cancelLink(linkId: string): Promise<void> {
    this.cancel.run(linkId);
  }
}
