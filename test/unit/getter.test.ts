import { OAuthError } from '../../src/core/errors';
import { TokenGetter, type TokenGetterOptions } from '../../src/core/getter';
import { processLocalLease, type Lease, type StoredConnection } from '../../src/core/ports';
import type { TokenSet } from '../../src/core/tokens';
import { MemoryLease, MemoryTokenStore } from '../../src/node/memory-stores';

let now = 1_700_000_000_000;
const clock = { now: () => now };

function tokens(access: string, refresh: string | undefined, lifetimeS = 3600): TokenSet {
  return { accessToken: access, tokenType: 'Bearer', refreshToken: refresh, obtainedAt: now, expiresAt: now + lifetimeS * 1000, scopes: ['read'] };
}

async function storeWith(set: TokenSet, store = new MemoryTokenStore()): Promise<MemoryTokenStore> {
  await store.put({ userId: 'u1', providerId: 'acme', tokens: set, connectedAt: now });
  return store;
}

/** A refresh "server" that rotates: each refresh token works once, as with rotation on. */
function rotatingServer(delayMs = 20) {
  let serial = 0;
  const spent = new Set<string>();
  const calls: string[] = [];
  const refresh: TokenGetterOptions['refresh'] = async (connection: StoredConnection & { tokens: { refreshToken: string } }) => {
    const presented = connection.tokens.refreshToken;
    calls.push(presented);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (spent.has(presented)) throw new OAuthError('reconnect_required', 'invalid_grant', { oauthError: 'invalid_grant' });
    spent.add(presented);
    serial += 1;
    return tokens(`access-${serial}`, `refresh-${serial}`);
  };
  return { refresh, calls };
}

function getter(store: MemoryTokenStore, refresh: TokenGetterOptions['refresh'], lease: Lease = new MemoryLease(clock.now)) {
  return new TokenGetter({ tokens: store, clock, refresh, lease, pollMs: 5 });
}

describe('token getter', () => {
  beforeEach(() => {
    now = 1_700_000_000_000;
  });

  it('returns a valid token without refreshing', async () => {
    const server = rotatingServer();
    const store = await storeWith(tokens('access-0', 'refresh-0'));
    await expect(getter(store, server.refresh).getAccessToken('u1', 'acme')).resolves.toBe('access-0');
    expect(server.calls).toEqual([]);
  });

  it('refreshes proactively inside the margin and stores the result', async () => {
    const server = rotatingServer();
    const store = await storeWith(tokens('access-0', 'refresh-0'));
    now += 3550_000; // 50 s left, margin 60 s
    await expect(getter(store, server.refresh).getAccessToken('u1', 'acme')).resolves.toBe('access-1');
    expect((await store.get('u1', 'acme'))?.tokens.refreshToken).toBe('refresh-1');
  });

  it('records a change to a connection (its account name) without losing a refresh made meanwhile, in either order', async () => {
    const server = rotatingServer(20);
    // A refresh in flight when the change comes: the change waits, and lands on the refreshed record.
    const store = await storeWith(tokens('access-0', 'refresh-0'));
    const g = getter(store, server.refresh);
    now += 3550_000;
    const refreshing = g.getAccessToken('u1', 'acme');
    const named = g.amend('u1', 'acme', (current) => ({ ...current, accountName: 'ada' }));
    await expect(refreshing).resolves.toBe('access-1');
    await named;
    expect(await store.get('u1', 'acme')).toMatchObject({ accountName: 'ada', tokens: { accessToken: 'access-1', refreshToken: 'refresh-1' } });

    // A change under way when a refresh is needed: the refresh waits for it, then keeps the name.
    let release!: () => void;
    let first = true;
    const slowStore = Object.assign(Object.create(store), {
      // The change's write is slow (a database round trip under load); later writes are not.
      put: async (connection: StoredConnection) => {
        if (first) {
          first = false;
          await new Promise<void>((resolve) => (release = resolve));
        }
        await store.put(connection);
      },
    }) as MemoryTokenStore;
    const g2 = getter(slowStore, server.refresh);
    const renamed = g2.amend('u1', 'acme', (current) => ({ ...current, accountName: 'ada lovelace' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    now += 3600_000;
    const refreshed = g2.getAccessToken('u1', 'acme');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.calls).toEqual(['refresh-0']);
    release();
    await renamed;
    await expect(refreshed).resolves.toBe('access-2');
    expect(await store.get('u1', 'acme')).toMatchObject({ accountName: 'ada lovelace', tokens: { refreshToken: 'refresh-2' } });
    expect(server.calls).toEqual(['refresh-0', 'refresh-1']);
  });

  it('shares one refresh between concurrent callers in a process', async () => {
    const server = rotatingServer();
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    now += 2000;
    const g = getter(store, server.refresh);
    const results = await Promise.all(Array.from({ length: 25 }, () => g.getAccessToken('u1', 'acme')));
    expect(new Set(results)).toEqual(new Set(['access-1']));
    expect(server.calls).toEqual(['refresh-0']);
  });

  it('across two instances sharing a lease, refreshes once and never sends a rotated refresh token again', async () => {
    const server = rotatingServer(30);
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    const lease = new MemoryLease(clock.now);
    now += 2000;
    const instanceA = getter(store, server.refresh, lease);
    const instanceB = getter(store, server.refresh, lease);
    const [a, b] = await Promise.all([instanceA.getAccessToken('u1', 'acme'), instanceB.getAccessToken('u1', 'acme')]);
    expect([a, b]).toEqual(['access-1', 'access-1']);
    expect(server.calls).toEqual(['refresh-0']);
  });

  it('after taking the lease, reads the token again and uses a refresh done elsewhere', async () => {
    const server = rotatingServer();
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    now += 2000;
    const lease = new MemoryLease(clock.now);
    // Another instance refreshes between our first read and our lease.
    const racing = {
      async acquire(key: string, ttl: number) {
        await store.put({ userId: 'u1', providerId: 'acme', tokens: tokens('access-elsewhere', 'refresh-elsewhere'), connectedAt: now });
        return lease.acquire(key, ttl);
      },
    };
    await expect(getter(store, server.refresh, racing).getAccessToken('u1', 'acme')).resolves.toBe('access-elsewhere');
    expect(server.calls).toEqual([]);
  });

  it('says not connected when nothing is stored', async () => {
    await expect(getter(new MemoryTokenStore(), rotatingServer().refresh).getAccessToken('u1', 'acme')).rejects.toMatchObject({ kind: 'not_connected' });
  });

  it('asks to reconnect when the token expired and there is no refresh token', async () => {
    const store = await storeWith(tokens('access-0', undefined, 60));
    now += 61_000;
    await expect(getter(store, rotatingServer().refresh).getAccessToken('u1', 'acme')).rejects.toMatchObject({ kind: 'reconnect_required', reason: 'expired' });
  });

  it('after a 401 on a token without expiry or refresh token, asks to reconnect because the provider refused it', async () => {
    const store = await storeWith({ ...tokens('access-0', undefined), expiresAt: undefined });
    const server = rotatingServer();
    const get = getter(store, server.refresh);
    expect(await get.getAccessToken('u1', 'acme')).toBe('access-0');
    await expect(get.getAccessToken('u1', 'acme', { refreshUnlessNot: 'access-0' })).rejects.toMatchObject({
      kind: 'reconnect_required',
      reason: 'grant_rejected',
    });
    expect(server.calls).toEqual([]);
  });

  it('after a 401 on a token without expiry but with a refresh token, refreshes once and uses the new token', async () => {
    const store = await storeWith({ ...tokens('access-0', 'refresh-0'), expiresAt: undefined });
    const server = rotatingServer();
    expect(await getter(store, server.refresh).getAccessToken('u1', 'acme', { refreshUnlessNot: 'access-0' })).toBe('access-1');
    expect(server.calls).toEqual(['refresh-0']);
  });

  it('on invalid_grant keeps the connection as lost, its tokens wiped, and has the user told once', async () => {
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    now += 2000;
    let refreshes = 0;
    const dead: TokenGetterOptions['refresh'] = async () => {
      refreshes += 1;
      throw new OAuthError('reconnect_required', 'invalid_grant', { oauthError: 'invalid_grant' });
    };
    const told: string[] = [];
    const lostGetter = new TokenGetter({ tokens: store, clock, refresh: dead, lease: processLocalLease, onLost: async (c) => void told.push(c.userId) });
    await expect(lostGetter.getAccessToken('u1', 'acme')).rejects.toMatchObject({ kind: 'reconnect_required', reason: 'grant_rejected' });
    await expect(lostGetter.getAccessToken('u1', 'acme')).rejects.toMatchObject({ kind: 'reconnect_required', reason: 'grant_rejected' });
    const kept = await store.get('u1', 'acme');
    expect(kept?.lost).toEqual({ at: now, reason: 'grant_rejected' });
    expect(kept?.tokens.accessToken).toBe('');
    expect(kept?.tokens.refreshToken).toBeUndefined();
    expect(JSON.stringify(kept)).not.toMatch(/access-0|refresh-0/);
    expect(refreshes).toBe(1);
    expect(told).toEqual(['u1']);
  });

  it('on invalid_grant uses a token stored meanwhile by someone else instead of giving up', async () => {
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    now += 2000;
    const lostRace: TokenGetterOptions['refresh'] = async () => {
      await store.put({ userId: 'u1', providerId: 'acme', tokens: tokens('access-winner', 'refresh-winner'), connectedAt: now });
      throw new OAuthError('reconnect_required', 'invalid_grant', { oauthError: 'invalid_grant' });
    };
    await expect(getter(store, lostRace).getAccessToken('u1', 'acme')).resolves.toBe('access-winner');
    expect(await store.get('u1', 'acme')).toBeDefined();
  });

  it('a forced refresh after a 401 is satisfied by a token another caller already renewed', async () => {
    const server = rotatingServer();
    const store = await storeWith(tokens('access-0', 'refresh-0'));
    const g = getter(store, server.refresh);
    await expect(g.getAccessToken('u1', 'acme', { refreshUnlessNot: 'access-0' })).resolves.toBe('access-1');
    // A second caller who also saw access-0 rejected gets access-1 without a second refresh.
    await expect(g.getAccessToken('u1', 'acme', { refreshUnlessNot: 'access-0' })).resolves.toBe('access-1');
    expect(server.calls).toEqual(['refresh-0']);
  });

  it('waits for a lease held elsewhere and gives up with a retryable error when it is never released', async () => {
    const store = await storeWith(tokens('access-0', 'refresh-0', 2));
    now += 2000;
    const held = { acquire: async () => undefined };
    const g = new TokenGetter({ tokens: store, clock, refresh: rotatingServer().refresh, lease: held, pollMs: 1, leaseWaitMs: 0 });
    await expect(g.getAccessToken('u1', 'acme')).rejects.toMatchObject({ kind: 'provider_unavailable', retryable: true });
  });
});
