/**
 * The one way to a user's token and connection, for `/oauth` and for every other command of the
 * app: it refreshes before expiry (one refresh per expiry, shared by concurrent callers), retries a
 * request once after a 401 with a renewed token, and answers failures as OAuthErrors that
 * `messageForError` turns into words. Nothing above it reads the token store.
 *
 *   const response = await tokens.request(userId, 'github', { method: 'GET', url: 'https://api.github.com/user/repos', headers: {} });
 */
import type { OAuthConnector } from '../core/connector';
import { isOAuthError } from '../core/errors';
import { usableConnection } from '../core/getter';
import type { HttpRequest, HttpResponse, StoredConnection } from '../core/ports';
import { buildProfileRequest, profileEndpoint, readProfileResponse, type Profile } from '../core/profile';
import type { RevocationResult } from '../core/revoke';

/** A user's connection to one provider as stored now (nothing is refreshed to answer this). */
export type ConnectionState =
  | { status: 'connected'; connection: StoredConnection }
  /** The provider ended the grant: kept so the user reads why, its tokens wiped. */
  | { status: 'lost'; connection: StoredConnection }
  | { status: 'not_connected' }
  /** A record this version cannot read: the user must connect again (it was logged once, when found). */
  | { status: 'unreadable' };

export class TokenService {
  constructor(private readonly connector: OAuthConnector) {}

  async state(userId: string, providerId: string): Promise<ConnectionState> {
    try {
      const connection = await this.connector.connection(userId, providerId);
      if (!connection) return { status: 'not_connected' };
      return connection.lost ? { status: 'lost', connection } : { status: 'connected', connection };
    } catch (error) {
      if (isOAuthError(error, 'reconnect_required')) return { status: 'unreadable' };
      throw error;
    }
  }

  /** The stored connection, or the OAuthError a user should read when there is none to use (the getter's own rule). */
  async connection(userId: string, providerId: string): Promise<StoredConnection> {
    return usableConnection(await this.connector.connection(userId, providerId), providerId);
  }

  /** A valid access token of this user for this provider (throws `not_connected`, `reconnect_required`, …). */
  getAccessToken(userId: string, providerId: string): Promise<string> {
    return this.connector.getAccessToken(userId, providerId);
  }

  /** The request with `Authorization: Bearer <token>`, retried once after a 401 with a refreshed token. */
  request(userId: string, providerId: string, request: HttpRequest): Promise<HttpResponse> {
    return this.connector.authorizedRequest(userId, providerId, request);
  }

  /** Renews the token now, whatever its expiry (the user asked for it). */
  refresh(userId: string, providerId: string): Promise<StoredConnection> {
    return this.connector.refresh(userId, providerId);
  }

  /** Revokes at the provider and forgets the connection here, whatever the provider answers. */
  disconnect(userId: string, providerId: string): Promise<RevocationResult> {
    return this.connector.disconnect(userId, providerId);
  }

  /** The account as the provider reports it now (through `request`); undefined when the provider has no profile endpoint. */
  async profile(userId: string, providerId: string): Promise<Profile | undefined> {
    const { provider } = await this.connector.provider(providerId);
    if (!profileEndpoint(provider)) return undefined;
    const response = await this.request(userId, providerId, buildProfileRequest(provider));
    return readProfileResponse(provider, response);
  }
}
