/**
 * The Mattermost service's storage: SQLite in one file by default (one instance), PostgreSQL when a
 * database URL is given (several instances sharing it). Either way the same ports the app layer
 * already uses, with the same meaning as the in-memory stores (src/node/memory-stores.ts); the
 * schema is created and migrated here, at start.
 *
 * The stores keep records as given: wrap `tokens` and `states` in the sealing decorators
 * (src/core/sealed-stores.ts) so that only sealed tokens and verifiers reach the database.
 */
import { systemClock, type Clock } from '../../core/ports';
import { openPostgresStorage } from './postgres';
import type { StorageLogger } from './records';
import type { ServiceStorage } from './service-storage';
import { openSqliteStorage } from './sqlite';

export type { ServiceStorage } from './service-storage';
export type { StorageLogger } from './records';

export interface StorageOptions {
  /** A `postgres://` or `postgresql://` URL: PostgreSQL. Absent or empty: SQLite at `sqlitePath`. */
  databaseUrl?: string;
  /** The SQLite file (created owner-only when absent); unused with a database URL. */
  sqlitePath: string;
  /** The clock expiries are read with; default the system's. The PostgreSQL lease uses the database's. */
  clock?: Clock;
  /** Unreadable records and failed sweeps are reported here; never a token or a URL. */
  logger?: StorageLogger;
  /** PostgreSQL: connections this instance's pool opens at most (default 10). */
  maxConnections?: number;
}

/** Opens the database the options name and brings its schema up to date; the caller closes it. */
export function openStorage(options: StorageOptions): Promise<ServiceStorage> {
  const clock = options.clock ?? systemClock;
  const url = options.databaseUrl?.trim();
  if (!url) return openSqliteStorage({ path: options.sqlitePath, clock, logger: options.logger });
  // Anything else is refused rather than quietly stored in a local file the other instances never see.
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    return Promise.reject(new Error('The database URL must start with postgres:// or postgresql:// (leave it empty for SQLite)'));
  }
  return openPostgresStorage({ url, clock, logger: options.logger, maxConnections: options.maxConnections });
}
