/** The core's TokenStore in SQLite: one row per (user, provider), the record as JSON text. */
import type Database from 'better-sqlite3';
import type { Clock, StoredConnection, TokenStore } from '../../../core/ports';
import { readTokenRecord, tokenRecordJson, type StorageLogger } from '../records';

export class SqliteTokenStore implements TokenStore {
  private readonly select: Database.Statement<[string, string], { record: unknown }>;
  private readonly upsert: Database.Statement<[string, string, string, number]>;
  private readonly remove: Database.Statement<[string, string]>;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly logger?: StorageLogger,
  ) {
    this.select = db.prepare('SELECT record FROM tokens WHERE user_id = ? AND provider_id = ?');
    // UPSERT (https://www.sqlite.org/lang_upsert.html): a refresh replaces the row in one statement.
    this.upsert = db.prepare(
      `INSERT INTO tokens (user_id, provider_id, record, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, provider_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare('DELETE FROM tokens WHERE user_id = ? AND provider_id = ?');
  }

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    const row = this.select.get(userId, providerId);
    return row && readTokenRecord(userId, providerId, row.record, this.logger);
  }

  async put(connection: StoredConnection): Promise<void> {
    this.upsert.run(connection.userId, connection.providerId, tokenRecordJson(connection), this.clock.now());
  }

  async delete(userId: string, providerId: string): Promise<void> {
    this.remove.run(userId, providerId);
  }
}
