/** In-memory stores for a single Node process (tests, the local runner's memory mode). */
import type { Lease, LeaseHandle, PendingAuthorization, StateStore, StoredConnection, TokenStore } from '../core/ports';

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

export class MemoryStateStore implements StateStore {
  private readonly pending = new Map<string, PendingAuthorization>();

  async put(record: PendingAuthorization): Promise<void> {
    this.pending.set(record.state, structuredClone(record));
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
