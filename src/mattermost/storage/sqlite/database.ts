/**
 * One SQLite file for a service that runs as one instance (mattermost.md, "Storage for a standalone
 * service"), through better-sqlite3 12 (13 needs Node 22 and crashes on 20).
 *
 * - WAL (https://www.sqlite.org/wal.html): readers do not block the writer nor the writer readers,
 *   and a commit appends to the log rather than rewriting pages. `synchronous` stays FULL, its
 *   default: a rotated refresh token that a power cut took back would end the user's grant.
 * - busy_timeout 5000 (https://www.sqlite.org/pragma.html#pragma_busy_timeout): a second connection
 *   to the file (a CLI, a second process started by mistake, the tests) waits up to five seconds for
 *   the write lock instead of failing at once with SQLITE_BUSY.
 * - The file is created owner-only (0600) before SQLite opens it; SQLite gives its -wal and -shm
 *   files the database file's permissions.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import type { Clock } from '../../../core/ports';
import { pendingMigrations, SCHEMA_VERSION_TABLE } from '../migrations';

export const BUSY_TIMEOUT_MS = 5000;

export function openSqliteDatabase(path: string): Database.Database {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path);
  try {
    // Set before anything takes a lock: switching to WAL itself waits for other connections.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (!inMemory && mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${path} (journal mode ${String(mode)})`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Applies the migrations the file lacks, all in one transaction. BEGIN IMMEDIATE takes the write
 * lock before reading the version (https://www.sqlite.org/lang_transaction.html), so two processes
 * opening the file together apply each migration once: the second waits (busy_timeout), then reads
 * the version the first wrote.
 */
export function migrateSqlite(db: Database.Database, clock: Clock): void {
  db.transaction(() => {
    db.exec(SCHEMA_VERSION_TABLE.sqlite);
    const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS current FROM schema_version').get() as { current: number };
    const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
    for (const migration of pendingMigrations(row.current)) {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.description, clock.now());
    }
  }).immediate();
}
