/**
 * What a platform supplies to the core. Rocket.Chat implements these on the Apps-Engine accessors
 * (IHttp, association-keyed persistence); a plain Node process uses src/node/. The core imports
 * nothing of any chat platform.
 */
import type { ReconnectReason } from './errors';
import type { TokenSet } from './tokens';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Already encoded (form or JSON); absent for GET. */
  body?: string;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request and returns whatever the server answered, whatever its status: HTTP errors
 * are the core's to interpret. Throws `TransportError` only when no answer came (network, timeout).
 */
export interface HttpTransport {
  send(request: HttpRequest, options: { timeoutMs: number }): Promise<HttpResponse>;
}

export class TransportError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network',
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** A user's connection to one provider, as stored. */
export interface StoredConnection {
  userId: string;
  providerId: string;
  tokens: TokenSet;
  /** Human-readable account name at the provider (login, email), when the provider tells it. */
  accountName?: string;
  /** Epoch ms of the first connection. */
  connectedAt: number;
  /**
   * Set when the provider ended the grant (a refresh refused for good, a token refused that nothing
   * can renew): the record is kept so the user reads "needs reconnect" rather than "not connected",
   * its tokens wiped (`wipedTokens`), until they connect again or disconnect.
   */
  lost?: { at: number; reason: ReconnectReason };
}

/** Tokens per (user, provider). Rocket.Chat: USER(userId) + MISC(provider key) association records. */
export interface TokenStore {
  /**
   * The stored connection, or undefined when there is none. A record that exists but cannot be
   * read (damaged, or written by a newer version) throws `reconnect_required` with the reason
   * `unreadable_record`: the user is told to connect again, never that they are not connected.
   */
  get(userId: string, providerId: string): Promise<StoredConnection | undefined>;
  put(connection: StoredConnection): Promise<void>;
  delete(userId: string, providerId: string): Promise<void>;
}

/** What an authorization in flight remembers between the redirect and the callback. */
export interface PendingAuthorization {
  state: string;
  userId: string;
  providerId: string;
  codeVerifier?: string;
  redirectUri: string;
  /** The scopes asked for: recorded as granted when the token response omits `scope` (RFC 6749 §5.1). */
  scopes: string[];
  /** Epoch ms after which the state is refused. */
  expiresAt: number;
  /** Opaque data of the platform (for example the room to answer in); the core never reads it. */
  context?: Record<string, string>;
  /** SHA-256 of the secret of the browser that started the flow; the response must present the secret. */
  browserBinding?: string;
}

/**
 * Pending authorizations keyed by state. `take` must be single use: it returns a record at most
 * once, and removes it (RFC 6749 §10.12: the state binds the response to this user's request).
 */
export interface StateStore {
  put(pending: PendingAuthorization): Promise<void>;
  take(state: string): Promise<PendingAuthorization | undefined>;
}

/**
 * A mutual exclusion that holds across server instances (a record with an owner and an expiry in
 * shared storage, a cluster mutex). `acquire` answers undefined when someone else holds the key.
 */
export interface Lease {
  acquire(key: string, ttlMs: number): Promise<LeaseHandle | undefined>;
}

export interface LeaseHandle {
  release(): Promise<void>;
}

/** A lease for a single process: the getter's own single flight already serializes it. */
export const processLocalLease: Lease = {
  async acquire() {
    return { async release() {} };
  },
};

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
