/**
 * The refresh lease as a row per key (owner, expiry), taken with one statement (mattermost.md,
 * "Storage for a standalone service"):
 *
 *   INSERT … ON CONFLICT (key) DO UPDATE … WHERE lease.expires_at < now() RETURNING owner
 *
 * A key nobody holds is inserted; one whose holder's time ran out is updated to us; a live one is
 * left alone, and RETURNING then answers no row. ON CONFLICT DO UPDATE guarantees an atomic insert
 * or update even under concurrency (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT):
 * of two instances racing for a free key, one inserts and the other's conflicting insert waits for
 * it, then finds a live lease. Expiry is the database's `now()`, never an instance's clock, so clock
 * skew between instances cannot make a live lease look expired.
 *
 * Each statement runs on its own (autocommit) and hands its connection back: nothing is held
 * between acquire and release but the row, not across the caller's request to the provider.
 */
import type { Pool } from 'pg';
import { randomToken } from '../../../core/authorize';
import type { Lease, LeaseHandle } from '../../../core/ports';
import { leaseKeyText } from './text';

const ACQUIRE = `INSERT INTO lease (key, owner, expires_at) VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
  WHERE lease.expires_at < now()
  RETURNING owner`;

export class PostgresLease implements Lease {
  constructor(private readonly pool: Pool) {}

  async acquire(key: string, ttlMs: number): Promise<LeaseHandle | undefined> {
    // A new owner id per acquire: a release can only ever free the claim it made.
    const owner = randomToken(16);
    const keyText = leaseKeyText(key);
    const { rows } = await this.pool.query<{ owner: string }>(ACQUIRE, [keyText, owner, ttlMs]);
    if (rows[0]?.owner !== owner) return undefined;
    return {
      // Only by its owner: a lease that ran out and was taken over stays with whoever took it.
      release: async () => {
        await this.pool.query('DELETE FROM lease WHERE key = $1 AND owner = $2', [keyText, owner]);
      },
    };
  }
}
