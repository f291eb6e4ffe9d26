/**
 * The one way the app gets a usable access token. It refreshes proactively (before the margin, see
 * `needsRefresh`), and never runs two refreshes of the same grant at once:
 *  - within a process, callers of the same (user, provider) share one in-flight refresh;
 *  - across processes, a `Lease` is taken first, and the stored token is read again under it, so a
 *    refresh another instance just did is used rather than repeated. With rotating refresh tokens
 *    (RFC 9700 §4.14.2) a repeated refresh would send a spent token and kill the grant.
 */
import { isOAuthError, OAuthError } from './errors';
import type { Clock, Lease, StoredConnection, TokenStore } from './ports';
import { needsRefresh, wipedTokens, type TokenSet } from './tokens';

export interface TokenGetterOptions {
  tokens: TokenStore;
  clock: Clock;
  /** Exchanges the stored refresh token for a new token set (the token endpoint). */
  refresh: (connection: StoredConnection & { tokens: TokenSet & { refreshToken: string } }) => Promise<TokenSet>;
  lease: Lease;
  marginMs?: number;
  /** How long a lease is held at most: longer than any refresh request takes. */
  leaseTtlMs?: number;
  /** How long to wait for another instance's lease before giving up. */
  leaseWaitMs?: number;
  pollMs?: number;
  /** Called with the connection after a successful refresh (for logs without secrets). */
  onRefreshed?: (connection: StoredConnection) => void;
  /**
   * Called once when a connection is found lost (its record now says so): the platform tells the
   * user. Later callers meet the lost record and are only answered `reconnect_required`.
   */
  onLost?: (connection: StoredConnection) => Promise<void>;
  /**
   * The in-flight refreshes, by (user, provider). Pass one map to every getter of a process when
   * getters are made per request (as the app does with each request's accessors).
   */
  flights?: RefreshFlights;
}

export type RefreshFlights = Map<string, Promise<StoredConnection>>;

export interface GetOptions {
  /**
   * Refresh even if the stored token looks valid, unless it is no longer this access token (a
   * 401 seen with it: someone else may already have replaced it). `true` forces a refresh.
   */
  refreshUnlessNot?: string | true;
}

export class TokenGetter {
  private readonly inFlight: RefreshFlights;
  /** Changes to a record's other fields under way, by (user, provider): a refresh waits for them. */
  private readonly amending = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TokenGetterOptions) {
    this.inFlight = options.flights ?? new Map();
  }

  async getAccessToken(userId: string, providerId: string, get: GetOptions = {}): Promise<string> {
    return (await this.getConnection(userId, providerId, get)).tokens.accessToken;
  }

  /** The stored connection with an access token that is valid now (refreshed when needed). */
  async getConnection(userId: string, providerId: string, get: GetOptions = {}): Promise<StoredConnection> {
    const stored = usableConnection(await this.options.tokens.get(userId, providerId), providerId);
    if (this.isUsable(stored, get)) return stored;

    const key = flightKey(userId, providerId);
    let pending = this.inFlight.get(key);
    if (!pending) {
      // A forced refresh is satisfied by any refresh that happens after it was asked for.
      const wanted: GetOptions = get.refreshUnlessNot === true ? { refreshUnlessNot: stored.tokens.accessToken } : get;
      // A change to the record's other fields under way here finishes first (it writes the record
      // too); waited for before the lease, which that change may be holding.
      const amendment = this.amending.get(key)?.catch(() => undefined);
      const refresh = () => this.refreshUnderLease(userId, providerId, key, wanted);
      pending = (amendment ? amendment.then(refresh) : refresh()).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private isUsable(connection: StoredConnection, get: GetOptions): boolean {
    if (get.refreshUnlessNot === true) return false;
    if (get.refreshUnlessNot !== undefined && connection.tokens.accessToken === get.refreshUnlessNot) return false;
    return !needsRefresh(connection.tokens, this.options.clock.now(), this.options.marginMs);
  }

  private async refreshUnderLease(userId: string, providerId: string, key: string, get: GetOptions): Promise<StoredConnection> {
    const refreshed = await this.underLease(
      key,
      () => this.refreshHoldingLease(userId, providerId, get),
      // Someone else is refreshing: wait for their result rather than racing them.
      async () => {
        const current = usableConnection(await this.options.tokens.get(userId, providerId), providerId);
        return this.isUsable(current, get) ? current : undefined;
      },
    );
    if (!refreshed) {
      throw new OAuthError('provider_unavailable', `A refresh of the ${providerId} token is still running elsewhere`, { providerId, retryable: true });
    }
    return refreshed;
  }

  /**
   * Changes what a stored connection says besides its tokens (the account name read after the page
   * was answered) without losing a refresh: after any refresh in flight here, under the same lease
   * as a refresh elsewhere, on the record read again. A refresh that starts meanwhile waits for it.
   * Answers the record as stored after, or undefined when there is none (disconnected meanwhile),
   * or when the lease stayed elsewhere for longer than a refresh may take (the change is skipped).
   */
  async amend(userId: string, providerId: string, change: (current: StoredConnection) => StoredConnection): Promise<StoredConnection | undefined> {
    const key = flightKey(userId, providerId);
    for (let prior = this.inFlight.get(key) ?? this.amending.get(key); prior; prior = this.inFlight.get(key) ?? this.amending.get(key)) {
      await prior.catch(() => undefined);
    }
    const amended = this.underLease(key, async () => {
      const current = await this.options.tokens.get(userId, providerId);
      if (!current || current.lost) return current;
      const changed = change(current);
      if (changed !== current) await this.options.tokens.put(changed);
      return changed;
    }).finally(() => this.amending.delete(key));
    this.amending.set(key, amended);
    return amended;
  }

  /**
   * `work` while holding the refresh lease of `key`. While someone else holds it, polls; between
   * polls `meanwhile` may find the work done elsewhere and answer its result instead. Undefined when
   * neither happened within the wait.
   */
  private async underLease<T>(key: string, work: () => Promise<T>, meanwhile?: () => Promise<T | undefined>): Promise<T | undefined> {
    const { lease, clock } = this.options;
    const deadline = clock.now() + (this.options.leaseWaitMs ?? 15_000);
    for (;;) {
      const handle = await lease.acquire(`oauth-refresh:${key}`, this.options.leaseTtlMs ?? 30_000);
      if (handle) {
        try {
          return await work();
        } finally {
          await handle.release();
        }
      }
      await sleep(this.options.pollMs ?? 100);
      const done = await meanwhile?.();
      if (done !== undefined) return done;
      if (clock.now() >= deadline) return undefined;
    }
  }

  private async refreshHoldingLease(userId: string, providerId: string, get: GetOptions): Promise<StoredConnection> {
    const { tokens } = this.options;
    // Read again under the lease: another instance may have refreshed while we waited for it.
    const current = usableConnection(await tokens.get(userId, providerId), providerId);
    if (this.isUsable(current, get)) return current;
    const refreshToken = current.tokens.refreshToken;
    if (!refreshToken) {
      // Expired by the clock, or (a token without expiry, RFC 6749 §5.1 leaves expires_in optional)
      // refused by the provider's API: either way nothing can renew it. Refused is the provider
      // ending the grant, which the user is told of once; expired is what status already shows.
      const expired = needsRefresh(current.tokens, this.options.clock.now(), this.options.marginMs);
      const error = new OAuthError(
        'reconnect_required',
        expired
          ? `The ${providerId} token expired and the provider gave no refresh token`
          : `${providerId} no longer accepts the token, and gave no refresh token`,
        { providerId, reason: expired ? 'expired' : 'grant_rejected' },
      );
      if (!expired) await this.markLost(current, error);
      throw error;
    }
    let renewed: TokenSet;
    try {
      renewed = await this.options.refresh({ ...current, tokens: { ...current.tokens, refreshToken } });
    } catch (error) {
      if (isOAuthError(error, 'reconnect_required')) return this.afterDeadGrant(userId, providerId, refreshToken, error);
      throw error;
    }
    const updated: StoredConnection = { ...current, tokens: renewed };
    await tokens.put(updated);
    this.options.onRefreshed?.(updated);
    return updated;
  }

  /**
   * `invalid_grant` on refresh. Read again before declaring the connection dead: a refresh by an
   * instance that did not respect the lease may have stored a new token meanwhile. Otherwise the
   * record is kept as lost, so status and the next call say "connect again" rather than fail forever.
   */
  private async afterDeadGrant(userId: string, providerId: string, spentRefreshToken: string, error: OAuthError): Promise<StoredConnection> {
    const again = await this.options.tokens.get(userId, providerId);
    if (
      again &&
      !again.lost &&
      again.tokens.refreshToken !== spentRefreshToken &&
      !needsRefresh(again.tokens, this.options.clock.now(), this.options.marginMs)
    ) {
      return again;
    }
    if (again && !again.lost && again.tokens.refreshToken === spentRefreshToken) await this.markLost(again, error);
    throw error;
  }

  /** Keeps the record as lost, its tokens wiped, and has the user told once. */
  private async markLost(connection: StoredConnection, error: OAuthError): Promise<void> {
    const now = this.options.clock.now();
    const lost: StoredConnection = {
      ...connection,
      tokens: wipedTokens(connection.tokens, now),
      lost: { at: now, reason: error.reason === 'expired' || error.reason === 'unreadable_record' ? error.reason : 'grant_rejected' },
    };
    await this.options.tokens.put(lost);
    await this.options.onLost?.(lost);
  }
}

/** A stored connection that can be used or refreshed; otherwise why not, as the error a user reads. */
export function usableConnection(stored: StoredConnection | undefined, providerId: string): StoredConnection {
  if (!stored) throw new OAuthError('not_connected', `Not connected to ${providerId}`, { providerId });
  if (stored.lost)
    throw new OAuthError('reconnect_required', `The ${providerId} connection was ended by the provider`, { providerId, reason: stored.lost.reason });
  return stored;
}

function flightKey(userId: string, providerId: string): string {
  return `${userId}\u0000${providerId}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
