/**
 * One sweep of expired rows in PostgreSQL, at most SWEEP_LIMIT per table, each its own statement.
 * The expiry is tested on the row deleted as well as in the sub-select: a row updated meanwhile (a
 * lease taken over, a link's state replaced) is re-checked against the outer condition in its new
 * version under READ COMMITTED (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED),
 * so a sweep never removes what just became live again.
 */
import type { Pool } from 'pg';
import { SWEEP_LIMIT } from '../sweep';

const STATEMENTS = [
  'DELETE FROM pending_states WHERE expires_at <= $1 AND state IN (SELECT state FROM pending_states WHERE expires_at <= $1 LIMIT $2)',
  'DELETE FROM connect_links WHERE expires_at <= $1 AND seq IN (SELECT seq FROM connect_links WHERE expires_at <= $1 LIMIT $2)',
  'DELETE FROM response_urls WHERE expires_at <= $1 AND ctid IN (SELECT ctid FROM response_urls WHERE expires_at <= $1 LIMIT $2)',
];
const LEASES = 'DELETE FROM lease WHERE expires_at < now() AND key IN (SELECT key FROM lease WHERE expires_at < now() LIMIT $1)';

export function postgresSweeper(pool: Pool): (now: number) => Promise<void> {
  return async (now) => {
    for (const statement of STATEMENTS) await pool.query(statement, [now, SWEEP_LIMIT]);
    await pool.query(LEASES, [SWEEP_LIMIT]);
  };
}
