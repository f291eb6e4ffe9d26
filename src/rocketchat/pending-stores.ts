/**
 * The two kinds of short-lived records the connect flow keeps, each bounded:
 *  - pending authorizations, by state (the core's StateStore): user, provider, PKCE verifier, room,
 *    link, browser binding. A link has one pending authorization at a time: a new one replaces the
 *    previous, and completing cancels any other.
 *  - connect links, by link id: what the chat button points at. A user has at most
 *    MAX_LINKS_PER_PROVIDER live links per provider; a new `/oauth connect` replaces the oldest.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { PendingAuthorization } from '../core/ports';
import * as z from 'zod/mini';
import '../core/zod-messages';
import { pendingAuthorizationSchema } from '../core/stored-shapes';
import { MAX_LINKS_PER_PROVIDER, type ConnectLink, type ConnectLinkStore, type LinkedStateStore } from '../app/connect-links';
import { ExpiringRecords } from './expiring-records';

const linkGroup = (linkId: string) => `link:${linkId}`;

export class AssociationStateStore implements LinkedStateStore {
  private readonly records: ExpiringRecords<PendingAuthorization>;

  constructor(reader: IPersistenceRead, writer: IPersistence) {
    this.records = new ExpiringRecords('oauth-state', pendingAuthorizationSchema, reader, writer);
  }

  /** Stores a pending authorization; the one its link started before, if any, is gone. */
  async put(pending: PendingAuthorization): Promise<void> {
    const linkId = pending.context?.linkId;
    if (linkId) await this.records.removeGroup(linkGroup(linkId));
    await this.records.put(pending.state, pending, linkId ? [linkGroup(linkId)] : []);
  }

  take(state: string): Promise<PendingAuthorization | undefined> {
    return this.records.take(state);
  }

  /** Cancels whatever a link still has pending (its flow completed). */
  cancelLink(linkId: string): Promise<void> {
    return this.records.removeGroup(linkGroup(linkId));
  }
}

const linkSchema: z.ZodMiniType<ConnectLink> = z.object({
  userId: z.string(),
  providerId: z.string(),
  roomId: z.string(),
  expiresAt: z.number(),
  /** SHA-256 of the flow cookie of the first browser that pressed Continue: the link is that browser's now. */
  browserBinding: z.optional(z.string()),
  person: z.optional(z.object({ displayName: z.string(), language: z.string() })),
});
export class ConnectLinks implements ConnectLinkStore {
  private readonly records: ExpiringRecords<ConnectLink>;

  constructor(reader: IPersistenceRead, writer: IPersistence) {
    this.records = new ExpiringRecords('oauth-link', linkSchema, reader, writer);
  }

  /**
   * Stores a new link, removing the user's oldest ones for this provider beyond the limit; answers
   * the ids removed, whose pending authorizations the caller cancels.
   */
  async create(linkId: string, link: ConnectLink): Promise<string[]> {
    const group = userGroup(link);
    const held = await this.records.inGroup(group);
    const surplus = held.slice(0, Math.max(0, held.length - (MAX_LINKS_PER_PROVIDER - 1))).map(({ key }) => key);
    await Promise.all(surplus.map((key) => this.records.take(key)));
    await this.records.put(linkId, link, [group]);
    return surplus;
  }

  /** Binds the link to the browser that pressed Continue first; later presses elsewhere are refused. */
  /**
   * Persistence has no compare-and-set: the claim is written, then read back. Of two browsers
   * pressing at once, the one whose write the read shows goes on; only writes and reads interleaved
   * exactly (A writes, A reads, B writes, B reads) let both on, and then only the last one's pending
   * state survives (one per link), so still only one browser can complete.
   */
  async claim(linkId: string, link: ConnectLink, browserBinding: string): Promise<boolean> {
    await this.records.update(linkId, { ...link, browserBinding }, [userGroup(link)]);
    return (await this.records.peek(linkId))?.browserBinding === browserBinding;
  }

  peek(linkId: string): Promise<ConnectLink | undefined> {
    return this.records.peek(linkId);
  }

  take(linkId: string): Promise<ConnectLink | undefined> {
    return this.records.take(linkId);
  }
}

function userGroup(link: Pick<ConnectLink, 'userId' | 'providerId'>): string {
  return `user:${link.userId}:${link.providerId}`;
}
