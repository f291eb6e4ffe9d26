/** The service's storage in one SQLite file: the default, for a service that runs as one instance. */
import type { Clock } from '../../../core/ports';
import type { ServiceStorage } from '../service-storage';
import type { StorageLogger } from '../records';
import { SweepGate } from '../sweep';
import { migrateSqlite, openSqliteDatabase } from './database';
import { SqliteLease } from './lease';
import { SqliteResponseUrls } from './response-urls';
import { SqliteConnectLinks } from './links';
import { SqliteStateStore } from './states';
import { sqliteSweeper } from './sweep';
import { SqliteTokenStore } from './tokens';

export async function openSqliteStorage(options: { path: string; clock: Clock; logger?: StorageLogger }): Promise<ServiceStorage> {
  const { clock, logger } = options;
  const db = openSqliteDatabase(options.path);
  try {
    migrateSqlite(db, clock);
  } catch (error) {
    db.close();
    throw error;
  }
  const sweeper = new SweepGate(sqliteSweeper(db), clock, logger);
  return {
    kind: 'sqlite',
    tokens: new SqliteTokenStore(db, clock, logger),
    states: new SqliteStateStore(db, sweeper, logger),
    links: new SqliteConnectLinks(db, clock, sweeper),
    lease: new SqliteLease(db, clock),
    responseUrls: new SqliteResponseUrls(db, clock, sweeper),
    async close() {
      if (db.open) db.close();
    },
  };
}
