/**
 * The refresh lease as a row per key (owner, expiry), taken with one UPSERT: a key nobody holds, or
 * whose holder's time ran out, becomes ours; a live one is left alone and RETURNING answers no row
 * (https://www.sqlite.org/lang_upsert.html, https://www.sqlite.org/lang_returning.html). SQLite runs
 * one writer at a time, so two connections to the file cannot both take it. Expiry is the service's
 * clock, which is the one machine's clock every connection to the file shares.
 *
 * Nothing is held between acquire and release but the row: no transaction stays open across the
 * caller's request to the provider.
 */
import type Database from 'better-sqlite3';
import { randomToken } from '../../../core/authorize';
import type { Clock, Lease, LeaseHandle } from '../../../core/ports';

export class SqliteLease implements Lease {
  private readonly take: Database.Statement<[string, string, number, number], { owner: string }>;
  private readonly free: Database.Statement<[string, string]>;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
  ) {
    this.take = db.prepare(
      `INSERT INTO lease (key, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE lease.expires_at < ?
       RETURNING owner`,
    );
    this.free = db.prepare('DELETE FROM lease WHERE key = ? AND owner = ?');
  }

  async acquire(key: string, ttlMs: number): Promise<LeaseHandle | undefined> {
    // A new owner id per acquire: a release can only ever free the claim it made.
    const owner = randomToken(16);
    const now = this.clock.now();
    const row = this.take.get(key, owner, now + ttlMs, now);
    if (row?.owner !== owner) return undefined;
    return {
      // Only by its owner: a lease that ran out and was taken over stays with whoever took it.
      release: async () => {
        this.free.run(key, owner);
      },
    };
  }
}
