/**
 * PostgreSQL for a service that runs as several instances (mattermost.md, "Storage for a standalone
 * service"): one `pg.Pool` per instance, parameterized queries only (values never enter SQL text).
 *
 * A transaction is opened only around statements that must be atomic together, and never across
 * a call out of this module, so no pooled connection is held while the service talks to a provider.
 */
import { createHash } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import * as z from 'zod/mini';
import '../../../core/zod-messages';
import { pendingMigrations, SCHEMA_VERSION_TABLE } from '../migrations';
import type { StorageLogger } from '../records';

/** Advisory lock keys are (class, key) pairs: this class is the service's; the key says what is locked. */
const LOCK_CLASS = 0x4f415554; // "OAUT"
const MIGRATION_LOCK_KEY = 0;

export function createPool(options: { url: string; maxConnections?: number; logger?: StorageLogger }): Pool {
  const pool = new Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // An idle connection the server dropped emits 'error' on the pool; unheard, it would end the process.
  // The pool has already discarded it: the next query opens another.
  pool.on('error', (error) => options.logger?.warn(`A pooled database connection failed: ${error.message}`));
  return pool;
}

/** Runs `work` in one transaction on one pooled connection, and hands the connection back whatever happens. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection whose rollback failed is in an unknown state: released with the error, the pool closes it.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * A transaction-level advisory lock (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS):
 * held until the transaction ends, by whichever connection of whichever instance asked first; the
 * others wait. `subject` is hashed to the lock's second key: two subjects that collide only wait for
 * each other, they are never mistaken for one another.
 */
export async function lockFor(client: PoolClient, subject: string): Promise<void> {
  const key = createHash('sha256').update(subject).digest().readInt32BE(0);
  await client.query('SELECT pg_advisory_xact_lock($1::integer, $2::integer)', [LOCK_CLASS + 1, key]);
}

const versionRow = z.object({ current: z.number() });

/**
 * Applies the migrations the database lacks, all in one transaction, under an advisory lock: two
 * instances starting together queue on the lock, and the second reads the version the first
 * committed (CREATE TABLE IF NOT EXISTS alone is not safe against a concurrent create). DDL is
 * transactional in PostgreSQL, so a migration that fails leaves nothing half-made.
 */
export async function migratePostgres(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::integer, $2::integer)', [LOCK_CLASS, MIGRATION_LOCK_KEY]);
    await client.query(SCHEMA_VERSION_TABLE.postgres);
    const { rows } = await client.query('SELECT COALESCE(MAX(version), 0)::integer AS current FROM schema_version');
    for (const migration of pendingMigrations(versionRow.parse(rows[0]).current)) {
      await client.query(migration.postgres);
      await client.query('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
    }
  });
}
