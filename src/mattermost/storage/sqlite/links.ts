/**
 * Connect links in SQLite. `create` inserts the new link and drops the user's oldest for that
 * provider beyond MAX_LINKS_PER_PROVIDER in one BEGIN IMMEDIATE transaction, so two `/oauth connect`
 * at once cannot both see room for one more. Expired links read as absent.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../../../core/ports';
import { MAX_LINKS_PER_PROVIDER, type ConnectLink, type ConnectLinkStore } from '../../../app/connect-links';
import { linkOf, readLinkRow } from '../records';
import type { SweepGate } from '../sweep';

const COLUMNS = 'link_id, user_id, provider_id, room_id, expires_at, browser_binding, person_name, person_language';

export class SqliteConnectLinks implements ConnectLinkStore {
  private readonly insert: Database.Statement<[string, string, string, string, number, string | null, string | null]>;
  private readonly dropBeyond: Database.Statement<[string, string, number], { link_id: string; seq: number }>;
  private readonly bind: Database.Statement<[string, string, number]>;
  private readonly select: Database.Statement<[string, number], unknown>;
  private readonly remove: Database.Statement<[string], unknown>;
  private readonly createAtomically: (linkId: string, link: ConnectLink) => string[];

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly sweeper: SweepGate,
  ) {
    this.insert = db.prepare(
      'INSERT INTO connect_links (link_id, user_id, provider_id, room_id, expires_at, person_name, person_language) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // Newest first, skip the ones kept: what is left is the surplus (LIMIT -1: no limit, OFFSET needs one).
    this.dropBeyond = db.prepare(
      `DELETE FROM connect_links WHERE seq IN (
         SELECT seq FROM connect_links WHERE user_id = ? AND provider_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?
       ) RETURNING link_id, seq`,
    );
    // The first browser to press Continue keeps the link: a later claim changes nothing.
    this.bind = db.prepare('UPDATE connect_links SET browser_binding = ? WHERE link_id = ? AND browser_binding IS NULL AND expires_at > ?');
    this.select = db.prepare(`SELECT ${COLUMNS} FROM connect_links WHERE link_id = ? AND expires_at > ?`);
    this.remove = db.prepare(`DELETE FROM connect_links WHERE link_id = ? RETURNING ${COLUMNS}`);
    const create = db.transaction((linkId: string, link: ConnectLink): string[] => {
      this.insert.run(linkId, link.userId, link.providerId, link.roomId, link.expiresAt, link.person?.displayName ?? null, link.person?.language ?? null);
      // RETURNING gives no order (https://www.sqlite.org/lang_returning.html): oldest first by seq.
      const dropped = this.dropBeyond.all(link.userId, link.providerId, MAX_LINKS_PER_PROVIDER);
      return dropped.sort((a, b) => a.seq - b.seq).map((row) => row.link_id);
    });
    this.createAtomically = (linkId, link) => create.immediate(linkId, link);
  }

  async create(linkId: string, link: ConnectLink): Promise<string[]> {
    await this.sweeper.sweepIfDue();
    return this.createAtomically(linkId, link);
  }

  /** The first browser to press Continue keeps the link: a later claim changes nothing, and says so. */
  async claim(linkId: string, _link: ConnectLink, browserBinding: string): Promise<boolean> {
    if (this.bind.run(browserBinding, linkId, this.clock.now()).changes === 1) return true;
    return (await this.peek(linkId))?.browserBinding === browserBinding;
  }

  async peek(linkId: string): Promise<ConnectLink | undefined> {
    const row = readLinkRow(this.select.get(linkId, this.clock.now()));
    return row && linkOf(row);
  }

  async take(linkId: string): Promise<ConnectLink | undefined> {
    const row = readLinkRow(this.remove.get(linkId));
    return row && row.expiresAt > this.clock.now() ? linkOf(row) : undefined;
  }
}
