/** The latest command response URL per (user, channel) in SQLite (see ResponseUrlStore). */
import type Database from 'better-sqlite3';
import type { Clock } from '../../../core/ports';
import type { ResponseUrlStore } from '../../platform';
import type { SweepGate } from '../sweep';

export class SqliteResponseUrls implements ResponseUrlStore {
  private readonly upsert: Database.Statement<[string, string, string, number]>;
  private readonly select: Database.Statement<[string, string, number], { url: string }>;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly sweeper: SweepGate,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO response_urls (user_id, channel_id, url, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, channel_id) DO UPDATE SET url = excluded.url, expires_at = excluded.expires_at`,
    );
    this.select = db.prepare('SELECT url FROM response_urls WHERE user_id = ? AND channel_id = ? AND expires_at > ?');
  }

  async remember(userId: string, channelId: string, url: string, expiresAt: number): Promise<void> {
    this.upsert.run(userId, channelId, url, expiresAt);
    await this.sweeper.sweepIfDue();
  }

  async latest(userId: string, channelId: string): Promise<string | undefined> {
    return this.select.get(userId, channelId, this.clock.now())?.url;
  }
}
