/** The latest command response URL per (user, channel) in PostgreSQL (see ResponseUrlStore). */
import type { Pool } from 'pg';
import type { Clock } from '../../../core/ports';
import type { ResponseUrlStore } from '../../platform';
import type { SweepGate } from '../sweep';
import { requireStorable, storable } from './text';

export class PostgresResponseUrls implements ResponseUrlStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly sweeper: SweepGate,
  ) {}

  async remember(userId: string, channelId: string, url: string, expiresAt: number): Promise<void> {
    requireStorable('user, channel or URL', userId, channelId, url);
    await this.pool.query(
      `INSERT INTO response_urls (user_id, channel_id, url, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, channel_id) DO UPDATE SET url = EXCLUDED.url, expires_at = EXCLUDED.expires_at`,
      [userId, channelId, url, expiresAt],
    );
    await this.sweeper.sweepIfDue();
  }

  async latest(userId: string, channelId: string): Promise<string | undefined> {
    if (!storable(userId, channelId)) return undefined;
    const { rows } = await this.pool.query<{ url: string }>('SELECT url FROM response_urls WHERE user_id = $1 AND channel_id = $2 AND expires_at > $3', [
      userId,
      channelId,
      this.clock.now(),
    ]);
    return rows[0]?.url;
  }
}
