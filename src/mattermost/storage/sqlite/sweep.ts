/**
 * One sweep of expired rows in SQLite, at most SWEEP_LIMIT per table, in one transaction so the
 * write lock is taken once.
 */
import type Database from 'better-sqlite3';
import { SWEEP_LIMIT } from '../sweep';

export function sqliteSweeper(db: Database.Database): (now: number) => Promise<void> {
  const statements = [
    db.prepare<[number, number]>('DELETE FROM pending_states WHERE state IN (SELECT state FROM pending_states WHERE expires_at <= ? LIMIT ?)'),
    db.prepare<[number, number]>('DELETE FROM connect_links WHERE seq IN (SELECT seq FROM connect_links WHERE expires_at <= ? LIMIT ?)'),
    db.prepare<[number, number]>('DELETE FROM lease WHERE key IN (SELECT key FROM lease WHERE expires_at < ? LIMIT ?)'),
    db.prepare<[number, number]>('DELETE FROM response_urls WHERE rowid IN (SELECT rowid FROM response_urls WHERE expires_at <= ? LIMIT ?)'),
  ];
  const sweep = db.transaction((now: number) => {
    for (const statement of statements) statement.run(now, SWEEP_LIMIT);
  });
  return async (now) => sweep.immediate(now);
}
