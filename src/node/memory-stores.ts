/** In-memory stores for a single Node process (tests, the local runner's memory mode). */
import { MAX_LINKS_PER_PROVIDER, type ConnectLink, type ConnectLinkStore, type LinkedStateStore } from '../app/connect-links';
import type { Lease, LeaseHandle, PendingAuthorization, StoredConnection, TokenStore } from '../core/ports';

export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, StoredConnection>();

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    const found = this.records.get(key(userId, providerId));
    return found && structuredClone(found);
  }

  async put(connection: StoredConnection): Promise<void> {
    this.records.set(key(connection.userId, connection.providerId), structuredClone(connection));
  }

  async delete(userId: string, providerId: string): Promise<void> {
    this.records.delete(key(userId, providerId));
  }
}

export class MemoryStateStore implements LinkedStateStore {
  private readonly pending = new Map<string, PendingAuthorization>();

  /**
   * A link has one pending authorization at a time: a new one replaces the one it started before.
   * Without a pause between the removal and the write, so that puts for one link at once leave one.
   */
  async put(record: PendingAuthorization): Promise<void> {
    const linkId = record.context?.linkId;
    if (linkId) this.removeLink(linkId);
    this.pending.set(record.state, structuredClone(record));
  }

  async cancelLink(linkId: string): Promise<void> {
    this.removeLink(linkId);
  }

  private removeLink(linkId: string): void {
    for (const [state, record] of this.pending) if (record.context?.linkId === linkId) this.pending.delete(state);
  }

  async take(state: string): Promise<PendingAuthorization | undefined> {
    const found = this.pending.get(state);
    this.pending.delete(state);
    return found;
  }

  get size(): number {
    return this.pending.size;
  }
}

/** Connect links, the oldest of a user's links for a provider dropped beyond the limit. Expired links read as absent. */
export class MemoryConnectLinks implements ConnectLinkStore {
  /** In creation order, which Map keeps. */
  private readonly links = new Map<string, ConnectLink>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(linkId: string, link: ConnectLink): Promise<string[]> {
    const held = [...this.links].filter(([, l]) => l.userId === link.userId && l.providerId === link.providerId).map(([id]) => id);
    const surplus = held.slice(0, Math.max(0, held.length - (MAX_LINKS_PER_PROVIDER - 1)));
    for (const id of surplus) this.links.delete(id);
    this.links.set(linkId, structuredClone(link));
    return surplus;
  }

  async claim(linkId: string, _link: ConnectLink, browserBinding: string): Promise<boolean> {
    const held = this.links.get(linkId);
    if (!held || held.expiresAt <= this.now()) return false;
    if (held.browserBinding === undefined) this.links.set(linkId, { ...held, browserBinding });
    return this.links.get(linkId)!.browserBinding === browserBinding;
  }

  async peek(linkId: string): Promise<ConnectLink | undefined> {
    const link = this.links.get(linkId);
    return link && link.expiresAt > this.now() ? structuredClone(link) : undefined;
  }

  async take(linkId: string): Promise<ConnectLink | undefined> {
    const link = await this.peek(linkId);
    this.links.delete(linkId);
    return link;
  }
}

/** A lease table as several server instances would share it: owner + expiry per key. */
export class MemoryLease implements Lease {
  private readonly holders = new Map<string, { owner: number; until: number }>();
  private nextOwner = 1;

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(leaseKey: string, ttlMs: number): Promise<LeaseHandle | undefined> {
    const holder = this.holders.get(leaseKey);
    if (holder && holder.until > this.now()) return undefined;
    const owner = this.nextOwner++;
    this.holders.set(leaseKey, { owner, until: this.now() + ttlMs });
    return {
      release: async () => {
        // Released only by its owner: an expired lease taken over by another is not freed by us.
        if (this.holders.get(leaseKey)?.owner === owner) this.holders.delete(leaseKey);
      },
    };
  }
}

function key(userId: string, providerId: string): string {
  return `${userId}\u0000${providerId}`;
}
