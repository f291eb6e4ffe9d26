/**
 * The core's front door: one object per app instance that a platform adapter wires to its ports.
 * It knows providers by id, keeps no per-user state of its own (all of it goes through the
 * stores), and logs only through a redacting logger.
 */
import { beginAuthorization, readAuthorizationResponse, withRequest, type AuthorizationStart, type CallbackQuery } from './authorize';
import { MetadataCache } from './discovery';
import { isTokenRefused } from './error-answer';
import { enforceEndpointPolicy, STRICT_ENDPOINT_POLICY, type EndpointPolicy } from './endpoint-policy';
import { isOAuthError, OAuthError } from './errors';
import { TokenGetter, type RefreshFlights } from './getter';
import { DEFAULT_TIMEOUT_MS, send } from './http';
import {
  processLocalLease,
  systemClock,
  type Clock,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type Lease,
  type PendingAuthorization,
  type StateStore,
  type StoredConnection,
  type TokenStore,
} from './ports';
import { buildProfileRequest, profileEndpoint, readProfileResponse, type Profile } from './profile';
import type { ClientCredentials, ProviderDefinition, ResolvedProvider } from './provider';
import { redactingLogger, silentLogger, type Logger } from './redact';
import { revocationAuthenticatedByToken, revokeTokens, type RevocationResult } from './revoke';
import { requestTokens } from './token';
import { needsRefresh } from './tokens';

/** The platform's view of its configured providers (Rocket.Chat: the app's settings). */
export interface ProviderRegistry {
  /** The definition and client registration of an enabled provider; undefined when there is none. */
  get(providerId: string): Promise<{ definition: ProviderDefinition; client: ClientCredentials } | undefined>;
}

export interface ConnectorOptions {
  providers: ProviderRegistry;
  transport: HttpTransport;
  tokens: TokenStore;
  states: StateStore;
  /** Across server instances; defaults to a process-local lease. */
  lease?: Lease;
  clock?: Clock;
  logger?: Logger;
  /** Share one cache between connectors of the same process to discover each issuer once. */
  metadata?: MetadataCache;
  timeoutMs?: number;
  stateTtlMs?: number;
  refreshMarginMs?: number;
  /** Share in-flight refreshes between connectors made per request in one process. */
  refreshFlights?: RefreshFlights;
  /**
   * Told once when a connection is found lost (the provider ended the grant): the platform tells the
   * user. A failure here is logged and does not change what the caller is answered.
   */
  onConnectionLost?: (connection: StoredConnection) => Promise<void>;
  /** Where requests may go (endpoint-policy.ts); default: https to public hosts only. */
  endpointPolicy?: EndpointPolicy;
}

export interface CompletedAuthorization {
  connection: StoredConnection;
  /** The pending record, with the platform's context (the room to answer in). */
  pending: PendingAuthorization;
}

export class OAuthConnector {
  readonly getter: TokenGetter;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metadata: MetadataCache;
  private readonly timeoutMs: number;
  private readonly endpointPolicy: EndpointPolicy;

  constructor(private readonly options: ConnectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.endpointPolicy = options.endpointPolicy ?? STRICT_ENDPOINT_POLICY;
    this.logger = redactingLogger(options.logger ?? silentLogger);
    this.metadata = options.metadata ?? new MetadataCache(options.transport, { clock: this.clock });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.getter = new TokenGetter({
      tokens: options.tokens,
      clock: this.clock,
      lease: options.lease ?? processLocalLease,
      marginMs: options.refreshMarginMs,
      flights: options.refreshFlights,
      refresh: async (connection) => {
        const { provider, client } = await this.provider(connection.providerId);
        return requestTokens(this.endpointContext(), provider, client, { type: 'refresh_token', previous: connection.tokens });
      },
      onRefreshed: (connection) => this.logger.debug(`Refreshed the ${connection.providerId} token of user ${connection.userId}`),
      onLost: async (connection) => {
        this.logger.info(`The ${connection.providerId} connection of user ${connection.userId} was ended by the provider (${connection.lost?.reason})`);
        await options.onConnectionLost?.(connection).catch((error: unknown) => this.logger.warn('Could not tell a user their connection was lost', error));
      },
    });
  }

  /**
   * The provider with its endpoints resolved (discovery cached) and its client registration. Every
   * URL passes the endpoint policy: the configured ones (the issuer) before discovery requests
   * anything, the discovered ones before anything is sent to them.
   */
  async provider(providerId: string): Promise<{ provider: ResolvedProvider; client: ClientCredentials }> {
    const entry = await this.options.providers.get(providerId);
    if (!entry) throw new OAuthError('invalid_configuration', `No enabled provider is called ${providerId}`, { providerId });
    enforceEndpointPolicy(entry.definition, this.endpointPolicy);
    const provider = await this.metadata.resolve(entry.definition, this.options.transport, this.clock);
    if (entry.definition.discovery !== 'none') enforceEndpointPolicy(provider, this.endpointPolicy, 'discovery');
    return { provider, client: entry.client };
  }

  /** Starts a connection: stores a fresh state + PKCE verifier and returns the provider URL to send the browser to. */
  async beginAuthorization(
    userId: string,
    providerId: string,
    extra: { scopes?: string[]; context?: Record<string, string>; browserSecret?: string } = {},
  ): Promise<AuthorizationStart> {
    const { provider, client } = await this.provider(providerId);
    return beginAuthorization({
      provider,
      client,
      userId,
      scopes: extra.scopes,
      context: extra.context,
      browserSecret: extra.browserSecret,
      states: this.options.states,
      clock: this.clock,
      ttlMs: this.options.stateTtlMs,
    });
  }

  /**
   * Handles the provider's redirect: takes the state (single use), checks it, exchanges the code
   * and stores the tokens. Nothing is stored unless every step succeeded.
   */
  /**
   * The provider's redirect back: the state taken, the code exchanged, the connection stored.
   * `accountName: 'later'` stores it without reading the profile: the caller answers the browser
   * first and then calls `nameAccount`, so the profile request is not on the page's critical path.
   */
  async completeAuthorization(
    query: CallbackQuery,
    browser: { secret?: string } = {},
    options: { accountName?: 'now' | 'later' } = {},
  ): Promise<CompletedAuthorization> {
    const {
      pending,
      configured: { provider, client },
      code,
    } = await readAuthorizationResponse({
      query,
      states: this.options.states,
      clock: this.clock,
      providerOf: (id) => this.provider(id),
      browserSecret: browser.secret,
    });
    const tokens = await requestTokens(
      this.endpointContext(),
      provider,
      { ...client, redirectUri: pending.redirectUri },
      {
        type: 'authorization_code',
        code,
        codeVerifier: pending.codeVerifier,
        redirectUri: pending.redirectUri,
        requestedScopes: pending.scopes,
      },
    ).catch((error: unknown) => {
      throw withRequest(error, pending);
    });
    const accountName = options.accountName === 'later' ? undefined : await this.readAccountName(provider, tokens.accessToken);
    const connection: StoredConnection = {
      userId: pending.userId,
      providerId: provider.id,
      tokens,
      accountName,
      connectedAt: this.clock.now(),
    };
    await this.options.tokens.put(connection);
    this.logger.info(`User ${pending.userId} connected to ${provider.id}`);
    return { connection, pending };
  }

  /**
   * Reads the account name at the provider for a connection just stored without it, and records it
   * (under the refresh's own exclusion, so a refresh meanwhile is never overwritten). Best effort:
   * answers the connection with the name, or as it was when the provider did not tell it.
   */
  async nameAccount(connection: StoredConnection): Promise<StoredConnection> {
    const { provider } = await this.provider(connection.providerId);
    const accountName = await this.readAccountName(provider, connection.tokens.accessToken);
    if (!accountName) return connection;
    await this.getter.amend(connection.userId, connection.providerId, (current) =>
      // Only the connection this flow made: not one replaced since by another connect.
      current.connectedAt === connection.connectedAt ? { ...current, accountName } : current,
    );
    return { ...connection, accountName };
  }

  /** The stored connection, without refreshing; undefined when not connected. */
  connection(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    return this.options.tokens.get(userId, providerId);
  }

  getAccessToken(userId: string, providerId: string): Promise<string> {
    return this.getter.getAccessToken(userId, providerId);
  }

  /** Refreshes now, whatever the token's expiry (the user asked for it). */
  refresh(userId: string, providerId: string): Promise<StoredConnection> {
    return this.getter.getConnection(userId, providerId, { refreshUnlessNot: true });
  }

  /**
   * Sends a request with the user's access token. After a 401 (RFC 6750 §3.1 invalid_token) it
   * refreshes once and retries once; a second 401 means the grant is no longer usable.
   */
  async authorizedRequest(userId: string, providerId: string, request: HttpRequest): Promise<HttpResponse> {
    const first = await this.getter.getConnection(userId, providerId);
    const { provider } = await this.provider(providerId);
    const response = await this.sendWithToken(request, first.tokens.accessToken, providerId);
    if (!isTokenRefused(provider, response)) return response;
    const renewed = await this.getter.getConnection(userId, providerId, { refreshUnlessNot: first.tokens.accessToken });
    const retried = await this.sendWithToken(request, renewed.tokens.accessToken, providerId);
    if (isTokenRefused(provider, retried)) {
      throw new OAuthError('reconnect_required', `${providerId} rejects the access token even after a refresh`, { providerId, status: 401 });
    }
    return retried;
  }

  /** The user's profile as the provider reports it now. */
  async fetchProfile(userId: string, providerId: string): Promise<Profile> {
    const { provider } = await this.provider(providerId);
    const response = await this.authorizedRequest(userId, providerId, buildProfileRequest(provider));
    return readProfileResponse(provider, response);
  }

  /**
   * Revokes at the provider (RFC 7009) and deletes the local record whatever the provider
   * answered: the user asked to be disconnected, and a token the app no longer holds cannot leak.
   */
  async disconnect(userId: string, providerId: string): Promise<RevocationResult> {
    let stored: StoredConnection | undefined;
    try {
      stored = await this.options.tokens.get(userId, providerId);
    } catch (error) {
      if (!isOAuthError(error, 'reconnect_required')) throw error;
      // A record nobody can read holds no token anyone could use or revoke: forget it.
      await this.options.tokens.delete(userId, providerId);
      return { summary: 'unreadable', outcomes: [] };
    }
    if (!stored) throw new OAuthError('not_connected', `Not connected to ${providerId}`, { providerId });
    if (stored.lost) {
      await this.options.tokens.delete(userId, providerId);
      return { summary: 'already_ended', outcomes: [] };
    }
    try {
      const { provider, client } = await this.provider(providerId);
      // A token that revokes itself must still be alive to do so; an expired one would leave the
      // grant (its refresh token) alive at the provider.
      if (revocationAuthenticatedByToken(provider) && stored.tokens.refreshToken && needsRefresh(stored.tokens, this.clock.now(), 0)) {
        stored = await this.getter.getConnection(userId, providerId).catch(() => stored);
      }
      const result = await revokeTokens(this.endpointContext(), provider, client, stored!.tokens);
      this.logger.info(`User ${userId} disconnected from ${providerId}; revocation: ${result.summary}`);
      return result;
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      this.logger.warn(`Revocation at ${providerId} failed: ${error.message}`);
      return { summary: 'failed', outcomes: [] };
    } finally {
      await this.options.tokens.delete(userId, providerId);
    }
  }

  private endpointContext() {
    return { transport: this.options.transport, clock: this.clock, timeoutMs: this.timeoutMs };
  }

  private sendWithToken(request: HttpRequest, accessToken: string, providerId: string): Promise<HttpResponse> {
    return send(
      this.options.transport,
      { ...request, headers: { ...request.headers, authorization: `Bearer ${accessToken}` } },
      'API',
      providerId,
      this.timeoutMs,
    );
  }

  /** Best effort: a connection does not fail because the profile endpoint did. */
  private async readAccountName(provider: ResolvedProvider, accessToken: string): Promise<string | undefined> {
    if (!profileEndpoint(provider)) return undefined;
    try {
      const response = await this.sendWithToken(buildProfileRequest(provider), accessToken, provider.id);
      return readProfileResponse(provider, response).accountName;
    } catch (error) {
      this.logger.warn(`Could not read the ${provider.id} account name`, error);
      return undefined;
    }
  }
}

/** Callers found it here before error-answer.ts; it stays reachable from here. */
export { isTokenRefused };
