/**
 * The core against real authorization servers over real HTTP on 127.0.0.1: panva's oidc-provider
 * (found by its issuer, through discovery) and @node-oauth/oauth2-server (endpoints given), the same
 * scenarios on both. Each server checks which client authentication the core used, so a preset
 * with the wrong method fails here.
 */
import { OAuthConnector } from '../../src/core/connector';
import type { Lease, PendingAuthorization, StateStore, StoredConnection } from '../../src/core/ports';
import type { ClientCredentials, ProviderDefinition } from '../../src/core/provider';
import { definitionFromPreset, findPreset } from '../../src/core/providers';
import { AxiosTransport } from '../../src/node/axios-transport';
import { MemoryLease, MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';
import { startNodeOAuth2Server, startOidcProvider, type ClientAuthMethod, type TestAuthServer, type TestClientCredentials } from '../support/auth-servers';
import { authorizeAs } from '../support/user-agent';
import { rejectionOf } from '../support/oauth-error';

const REDIRECT_URI = 'http://127.0.0.1:1/oauth/complete';
const ACCESS_TTL_S = 2;

/** The three registrations every server gets; the provider id users would type is the key. */
const CLIENTS: Record<'basic' | 'post' | 'public', TestClientCredentials & { authMethod: ClientAuthMethod }> = {
  basic: { clientId: 'basic-client', clientSecret: 'basic-client-secret-value', authMethod: 'client_secret_basic' },
  post: { clientId: 'post-client', clientSecret: 'post-client-secret-value', authMethod: 'client_secret_post' },
  public: { clientId: 'public-client', authMethod: 'none' },
};
type ClientKey = keyof typeof CLIENTS;

interface ServerKind {
  name: string;
  start(rotate: boolean): Promise<TestAuthServer>;
  /** How an admin would describe this server to the core. */
  definition(server: TestAuthServer, id: ClientKey, clientAuth: ClientAuthMethod): ProviderDefinition;
}

const kinds: ServerKind[] = [
  {
    name: 'oidc-provider (by issuer, discovery)',
    start: (rotate) =>
      startOidcProvider({
        accessTokenTTL: ACCESS_TTL_S,
        clients: Object.values(CLIENTS).map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          token_endpoint_auth_method: c.authMethod,
          redirect_uris: [REDIRECT_URI],
          rotateRefreshToken: rotate,
        })),
      }),
    definition: (server, id, clientAuth) => definitionFromPreset(findPreset('oidc')!, { id, issuer: server.issuer, overrides: { clientAuth } }),
  },
  {
    name: '@node-oauth/oauth2-server (custom endpoints)',
    start: (rotate) =>
      startNodeOAuth2Server({
        accessTokenLifetime: ACCESS_TTL_S,
        alwaysIssueNewRefreshToken: rotate,
        clients: Object.values(CLIENTS).map((c) => ({
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          authMethod: c.authMethod,
          redirectUris: [REDIRECT_URI],
        })),
      }),
    definition: (server, id, clientAuth) =>
      definitionFromPreset(findPreset('custom')!, {
        id,
        overrides: {
          endpoints: {
            authorization: server.endpoints.authorization,
            token: server.endpoints.token,
            revocation: server.endpoints.revocation,
            userinfo: server.endpoints.userinfo,
          },
          scopes: { default: ['read'] },
          clientAuth,
          profile: { accountNamePath: 'preferred_username' },
        },
      }),
  },
];

/** A state store whose verifiers a test can swap, to play an attacker or a replay. */
class VerifierSwappingStates implements StateStore {
  private readonly inner = new MemoryStateStore();
  /** Verifiers handed out by `take`, by state. */
  readonly taken = new Map<string, string | undefined>();
  /** The verifier to hand out instead, for every state taken from now on. */
  swapTo?: string;

  put(pending: PendingAuthorization) {
    return this.inner.put(pending);
  }

  async take(state: string) {
    const pending = await this.inner.take(state);
    if (!pending) return undefined;
    this.taken.set(state, pending.codeVerifier);
    return this.swapTo ? { ...pending, codeVerifier: this.swapTo } : pending;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(kinds)('core against $name', (kind) => {
  let rotating: TestAuthServer;
  let stable: TestAuthServer;

  beforeAll(async () => {
    [rotating, stable] = await Promise.all([kind.start(true), kind.start(false)]);
  });
  afterAll(async () => {
    await Promise.all([rotating?.close(), stable?.close()]);
  });

  /** A connector (one app instance) that knows the three clients of `server`. */
  function app(
    server: TestAuthServer,
    options: { states?: StateStore; tokens?: MemoryTokenStore; lease?: Lease; authOf?: Partial<Record<ClientKey, ClientAuthMethod>> } = {},
  ) {
    const tokens = options.tokens ?? new MemoryTokenStore();
    const connector = new OAuthConnector({
      providers: {
        get: async (id) => {
          if (!(id in CLIENTS)) return undefined;
          const key = id as ClientKey;
          const registered = CLIENTS[key];
          const client: ClientCredentials = { clientId: registered.clientId, clientSecret: registered.clientSecret, redirectUri: REDIRECT_URI };
          return { definition: kind.definition(server, key, options.authOf?.[key] ?? registered.authMethod), client };
        },
      },
      transport: new AxiosTransport(),
      tokens,
      states: options.states ?? new MemoryStateStore(),
      lease: options.lease,
      // Both servers listen on http://127.0.0.1: the endpoint policy's development switch.
      endpointPolicy: { allowHttpLoopback: true, allowedHosts: [] },
    });
    return { connector, tokens };
  }

  async function connect(connector: OAuthConnector, provider: ClientKey, account = 'alice', decision: 'approve' | 'deny' = 'approve') {
    const start = await connector.beginAuthorization(`chat-user-${account}`, provider);
    const callback = await authorizeAs(start.url, { account, decision, redirectUriPrefix: REDIRECT_URI });
    const query = Object.fromEntries(callback.searchParams);
    return { query, result: connector.completeAuthorization(query) };
  }

  async function connected(connector: OAuthConnector, provider: ClientKey, account = 'alice'): Promise<StoredConnection> {
    return (await (await connect(connector, provider, account)).result).connection;
  }

  const introspect = (server: TestAuthServer, token: string) => server.introspect(token, CLIENTS.basic);

  async function refreshRequests(server: TestAuthServer) {
    return (await server.tokenRequests()).filter((r) => r.route === 'token' && r.grantType === 'refresh_token');
  }

  it.each(Object.keys(CLIENTS) as ClientKey[])('runs the whole code flow for the %s client, authenticating as registered', async (provider) => {
    await rotating.resetTokenRequests();
    const { connector, tokens } = app(rotating);
    const connection = await connected(connector, provider);
    expect(connection).toMatchObject({ userId: 'chat-user-alice', providerId: provider, accountName: 'alice' });
    expect(connection.tokens.refreshToken).toBeTruthy();
    // Absolute expiry from expires_in at receipt; @node-oauth/oauth2-server floors the seconds left (2 s may come as 1).
    expect([(ACCESS_TTL_S - 1) * 1000, ACCESS_TTL_S * 1000]).toContain(connection.tokens.expiresAt! - connection.tokens.obtainedAt);
    expect(await tokens.get('chat-user-alice', provider)).toEqual(connection);
    const [exchange] = (await rotating.tokenRequests()).filter((r) => r.route === 'token');
    expect(exchange).toMatchObject({ grantType: 'authorization_code', authMethod: CLIENTS[provider].authMethod, status: 200 });
    expect((await introspect(rotating, connection.tokens.accessToken)).active).toBe(true);
  });

  it('fails, storing nothing, when the preset uses another client authentication than the one registered', async () => {
    const { connector, tokens } = app(rotating, { authOf: { basic: 'client_secret_post', post: 'client_secret_basic' } });
    for (const provider of ['basic', 'post'] as const) {
      const error = await rejectionOf((await connect(connector, provider)).result);
      expect(error.kind).toBe('provider_misconfigured');
      expect(error.oauthError).toBe('invalid_client');
      expect(await tokens.get('chat-user-alice', provider)).toBeUndefined();
    }
  });

  it('is refused with a wrong PKCE verifier, and stores nothing', async () => {
    const states = new VerifierSwappingStates();
    states.swapTo = 'A'.repeat(43);
    const { connector, tokens } = app(rotating, { states });
    const error = await rejectionOf((await connect(connector, 'public')).result);
    expect(error).toMatchObject({ kind: 'reconnect_required', oauthError: 'invalid_grant' });
    expect(await tokens.get('chat-user-alice', 'public')).toBeUndefined();
  });

  it('refuses a replayed callback (state spent) and a replayed code (the server refuses it)', async () => {
    const states = new VerifierSwappingStates();
    const { connector, tokens } = app(rotating, { states });
    const first = await connect(connector, 'basic');
    const connection = (await first.result).connection;

    // The same redirect again: the state is single use.
    expect((await rejectionOf(connector.completeAuthorization(first.query))).kind).toBe('invalid_state');

    // The old code, with its own verifier, under a fresh valid state: the server refuses the code itself.
    states.swapTo = states.taken.get(first.query.state);
    const fresh = await connector.beginAuthorization('chat-user-alice', 'basic');
    const replay = await rejectionOf(connector.completeAuthorization({ ...first.query, state: fresh.state }));
    expect(replay).toMatchObject({ kind: 'reconnect_required', oauthError: 'invalid_grant' });
    expect((await tokens.get('chat-user-alice', 'basic'))?.tokens.accessToken).toBe(connection.tokens.accessToken);
    // RFC 6749 §4.1.2: the server SHOULD revoke tokens issued from a replayed code; both do.
    expect((await introspect(rotating, connection.tokens.accessToken)).active).toBe(false);
  });

  it('refreshes before expiry, once, and the old access token then expires at the server', async () => {
    const { connector } = app(rotating);
    const connection = await connected(connector, 'basic');
    await rotating.resetTokenRequests();
    // Still valid and outside the margin (at most half of 2 s): no refresh.
    expect(await connector.getAccessToken('chat-user-alice', 'basic')).toBe(connection.tokens.accessToken);
    await sleep(1100);
    const renewed = await connector.getAccessToken('chat-user-alice', 'basic');
    expect(renewed).not.toBe(connection.tokens.accessToken);
    expect(await refreshRequests(rotating)).toHaveLength(1);
    await sleep(1200);
    expect((await introspect(rotating, connection.tokens.accessToken)).active).toBe(false);
    expect(await connector.getAccessToken('chat-user-alice', 'basic')).not.toBe(renewed);
    expect((await introspect(rotating, await connector.getAccessToken('chat-user-alice', 'basic'))).active).toBe(true);
  });

  it('with rotation, concurrent callers cause one refresh and a rotated refresh token is never sent again', async () => {
    const { connector, tokens } = app(rotating);
    const connection = await connected(connector, 'public');
    await rotating.resetTokenRequests();
    for (let round = 0; round < 3; round++) {
      await sleep(1100);
      const results = await Promise.all(Array.from({ length: 10 }, () => connector.getAccessToken('chat-user-alice', 'public')));
      expect(new Set(results).size).toBe(1);
    }
    const sent = (await refreshRequests(rotating)).map((r) => r.refreshToken);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(3);
    expect(sent[0]).toBe(connection.tokens.refreshToken);
    const stored = (await tokens.get('chat-user-alice', 'public'))!;
    expect(stored.tokens.refreshToken).not.toBe(connection.tokens.refreshToken);
    // The grant is alive: a reuse of a rotated token would have killed it (oidc-provider revokes the family).
    expect((await introspect(rotating, stored.tokens.accessToken)).active).toBe(true);
  });

  it('two app instances sharing storage and a lease refresh a rotating grant once between them', async () => {
    const tokens = new MemoryTokenStore();
    const lease = new MemoryLease();
    const instanceA = app(rotating, { tokens, lease }).connector;
    const instanceB = app(rotating, { tokens, lease }).connector;
    await connected(instanceA, 'basic');
    await rotating.resetTokenRequests();
    await sleep(1100);
    const results = await Promise.all([instanceA, instanceB, instanceA, instanceB].map((c) => c.getAccessToken('chat-user-alice', 'basic')));
    expect(new Set(results).size).toBe(1);
    expect(await refreshRequests(rotating)).toHaveLength(1);
    expect((await introspect(rotating, results[0])).active).toBe(true);
  });

  it('without rotation, keeps the refresh token the server did not replace and uses it again', async () => {
    const { connector, tokens } = app(stable);
    const connection = await connected(connector, 'post');
    await stable.resetTokenRequests();
    await connector.refresh('chat-user-alice', 'post');
    await connector.refresh('chat-user-alice', 'post');
    const sent = (await refreshRequests(stable)).map((r) => r.refreshToken);
    expect(sent).toEqual([connection.tokens.refreshToken, connection.tokens.refreshToken]);
    expect((await refreshRequests(stable)).every((r) => r.authMethod === 'client_secret_post' && r.status === 200)).toBe(true);
    expect((await tokens.get('chat-user-alice', 'post'))?.tokens.refreshToken).toBe(connection.tokens.refreshToken);
  });

  it('revokes both tokens (the server then reports them inactive) and deletes the record', async () => {
    const { connector, tokens } = app(rotating);
    const connection = await connected(connector, 'basic');
    const result = await connector.disconnect('chat-user-alice', 'basic');
    expect(result.summary).toBe('revoked');
    const revocations = (await rotating.tokenRequests()).filter((r) => r.route === 'revocation');
    expect(revocations.slice(-2).map((r) => r.authMethod)).toEqual(['client_secret_basic', 'client_secret_basic']);
    expect((await introspect(rotating, connection.tokens.accessToken)).active).toBe(false);
    expect((await introspect(rotating, connection.tokens.refreshToken!)).active).toBe(false);
    expect(await tokens.get('chat-user-alice', 'basic')).toBeUndefined();
    expect((await rejectionOf(connector.getAccessToken('chat-user-alice', 'basic'))).kind).toBe('not_connected');
  });

  it('says the user declined when consent is denied, stores nothing, and spends the state', async () => {
    const { connector, tokens } = app(rotating);
    const denied = await connect(connector, 'basic', 'bob', 'deny');
    expect(denied.query.error).toBe('access_denied');
    expect((await rejectionOf(denied.result)).kind).toBe('access_denied');
    expect(await tokens.get('chat-user-bob', 'basic')).toBeUndefined();
    expect((await rejectionOf(connector.completeAuthorization(denied.query))).kind).toBe('invalid_state');
  });

  it('keeps two users apart: each gets their own account and token', async () => {
    const { connector, tokens } = app(rotating);
    const alice = await connected(connector, 'basic', 'alice');
    const bob = await connected(connector, 'basic', 'bob');
    expect([alice.accountName, bob.accountName]).toEqual(['alice', 'bob']);
    expect(alice.tokens.accessToken).not.toBe(bob.tokens.accessToken);
    expect((await tokens.get('chat-user-bob', 'basic'))?.accountName).toBe('bob');
    const profile = await connector.fetchProfile('chat-user-bob', 'basic');
    expect(profile.accountName).toBe('bob');
  });
});
