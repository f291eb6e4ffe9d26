/** The core's TokenStore in PostgreSQL: one row per (user, provider), the record as JSON text (migrations.ts says why not JSONB). */
import type { Pool } from 'pg';
import type { StoredConnection, TokenStore } from '../../../core/ports';
import { readTokenRecord, tokenRecordJson, type StorageLogger } from '../records';
import { requireStorable, storable } from './text';

export class PostgresTokenStore implements TokenStore {
  constructor(
    private readonly pool: Pool,
    private readonly logger?: StorageLogger,
  ) {}

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    if (!storable(userId, providerId)) return undefined;
    const { rows } = await this.pool.query<{ record: unknown }>('SELECT record FROM tokens WHERE user_id = $1 AND provider_id = $2', [userId, providerId]);
    return rows.length ? readTokenRecord(userId, providerId, rows[0].record, this.logger) : undefined;
  }

  /** INSERT … ON CONFLICT DO UPDATE (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT): insert or replace, atomically. */
  async put(connection: StoredConnection): Promise<void> {
    requireStorable('user or provider id', connection.userId, connection.providerId);
    await this.pool.query(
      `INSERT INTO tokens (user_id, provider_id, record, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (user_id, provider_id) DO UPDATE SET record = EXCLUDED.record, updated_at = EXCLUDED.updated_at`,
      [connection.userId, connection.providerId, tokenRecordJson(connection)],
    );
  }

  async delete(userId: string, providerId: string): Promise<void> {
    if (!storable(userId, providerId)) return;
    await this.pool.query('DELETE FROM tokens WHERE user_id = $1 AND provider_id = $2', [userId, providerId]);
  }
}
