/** The service's storage in PostgreSQL: for a service that runs as several instances on one database. */
import type { Clock } from '../../../core/ports';
import type { ServiceStorage } from '../service-storage';
import type { StorageLogger } from '../records';
import { SweepGate } from '../sweep';
import { createPool, migratePostgres } from './database';
import { PostgresLease } from './lease';
import { PostgresResponseUrls } from './response-urls';
import { PostgresConnectLinks } from './links';
import { PostgresStateStore } from './states';
import { postgresSweeper } from './sweep';
import { PostgresTokenStore } from './tokens';

export async function openPostgresStorage(options: { url: string; clock: Clock; logger?: StorageLogger; maxConnections?: number }): Promise<ServiceStorage> {
  const { clock, logger } = options;
  const pool = createPool(options);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const sweeper = new SweepGate(postgresSweeper(pool), clock, logger);
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    tokens: new PostgresTokenStore(pool, logger),
    states: new PostgresStateStore(pool, sweeper, logger),
    links: new PostgresConnectLinks(pool, clock, sweeper),
    lease: new PostgresLease(pool),
    responseUrls: new PostgresResponseUrls(pool, clock, sweeper),
    close() {
      // pool.end() may be called once: a second close answers the first's promise.
      closed ??= pool.end();
      return closed;
    },
  };
}
