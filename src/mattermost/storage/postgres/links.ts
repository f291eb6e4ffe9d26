/**
 * Connect links in PostgreSQL. `create` inserts the new link and drops the user's oldest for that
 * provider beyond MAX_LINKS_PER_PROVIDER in one transaction, under an advisory lock on (user,
 * provider): row locks cannot stop two instances from each inserting a link neither has seen, the
 * lock makes the second wait for the first's commit. Expired links read as absent.
 *
 * Epoch milliseconds are BIGINT, which pg answers as a string; they are selected as double precision
 * (exact below 2^53) so the row's check (records.ts) sees a number.
 */
import type { Pool } from 'pg';
import type { Clock } from '../../../core/ports';
import { MAX_LINKS_PER_PROVIDER, type ConnectLink, type ConnectLinkStore } from '../../../app/connect-links';
import { linkOf, readLinkRow } from '../records';
import type { SweepGate } from '../sweep';
import { inTransaction, lockFor } from './database';
import { requireStorable, storable } from './text';

const COLUMNS = 'link_id, user_id, provider_id, room_id, expires_at::double precision AS expires_at, browser_binding, person_name, person_language';

export class PostgresConnectLinks implements ConnectLinkStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly sweeper: SweepGate,
  ) {}

  async create(linkId: string, link: ConnectLink): Promise<string[]> {
    requireStorable('link, user, provider or room id', linkId, link.userId, link.providerId, link.roomId);
    // A name PostgreSQL cannot hold is not kept: the page reads the user instead, as for an older link.
    const person = link.person && storable(link.person.displayName, link.person.language) ? link.person : undefined;
    await this.sweeper.sweepIfDue();
    return inTransaction(this.pool, async (client) => {
      await lockFor(client, `connect-links\u0001${link.userId}\u0001${link.providerId}`);
      await client.query(
        'INSERT INTO connect_links (link_id, user_id, provider_id, room_id, expires_at, person_name, person_language) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [linkId, link.userId, link.providerId, link.roomId, link.expiresAt, person?.displayName ?? null, person?.language ?? null],
      );
      // Newest first, skip the ones kept: what is left is the surplus. RETURNING gives no order: oldest first by seq.
      const { rows } = await client.query<{ link_id: string; seq: string }>(
        `DELETE FROM connect_links WHERE seq IN (
           SELECT seq FROM connect_links WHERE user_id = $1 AND provider_id = $2 ORDER BY seq DESC OFFSET $3
         ) RETURNING link_id, seq`,
        [link.userId, link.providerId, MAX_LINKS_PER_PROVIDER],
      );
      return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((row) => row.link_id);
    });
  }

  /** The first browser to press Continue keeps the link: a later claim changes nothing, and says so. */
  async claim(linkId: string, _link: ConnectLink, browserBinding: string): Promise<boolean> {
    if (!storable(linkId, browserBinding)) return false;
    const bound = await this.pool.query('UPDATE connect_links SET browser_binding = $1 WHERE link_id = $2 AND browser_binding IS NULL AND expires_at > $3', [
      browserBinding,
      linkId,
      this.clock.now(),
    ]);
    if (bound.rowCount === 1) return true;
    return (await this.peek(linkId))?.browserBinding === browserBinding;
  }

  async peek(linkId: string): Promise<ConnectLink | undefined> {
    if (!storable(linkId)) return undefined;
    const { rows } = await this.pool.query(`SELECT ${COLUMNS} FROM connect_links WHERE link_id = $1 AND expires_at > $2`, [linkId, this.clock.now()]);
    const row = readLinkRow(rows[0]);
    return row && linkOf(row);
  }

  async take(linkId: string): Promise<ConnectLink | undefined> {
    if (!storable(linkId)) return undefined;
    const { rows } = await this.pool.query(`DELETE FROM connect_links WHERE link_id = $1 RETURNING ${COLUMNS}`, [linkId]);
    const row = readLinkRow(rows[0]);
    return row && row.expiresAt > this.clock.now() ? linkOf(row) : undefined;
  }
}
