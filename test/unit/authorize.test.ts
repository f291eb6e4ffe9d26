import { beginAuthorization, pkceChallenge, readAuthorizationResponse } from '../../src/core/authorize';
import { resolveWithoutDiscovery } from '../../src/core/discovery';
import { OAuthError } from '../../src/core/errors';
import { parseProviderDefinition, type ResolvedProvider } from '../../src/core/provider';
import { MemoryStateStore } from '../../src/node/memory-stores';
import { rejectionOf } from '../support/oauth-error';

let now = 1_700_000_000_000;
const clock = { now: () => now };
const client = { clientId: 'client-1', clientSecret: 'secret-1', redirectUri: 'https://chat.example.com/api/apps/public/app/complete' };

const provider: ResolvedProvider = {
  ...resolveWithoutDiscovery(
    parseProviderDefinition({
      id: 'acme',
      displayName: 'Acme',
      issuer: 'https://id.acme.test',
      endpoints: { authorization: 'https://id.acme.test/authorize?tenant=t1', token: 'https://id.acme.test/token' },
      scopes: { default: ['read', 'write'] },
      authorizationParams: { prompt: 'consent' },
    }),
  ),
};

async function start(states = new MemoryStateStore(), userId = 'user-a') {
  const started = await beginAuthorization({ provider, client, userId, states, clock, context: { roomId: 'room-1' } });
  return { started, url: new URL(started.url), states };
}

function complete(states: MemoryStateStore, query: Record<string, string | string[] | undefined>, p: ResolvedProvider = provider) {
  return readAuthorizationResponse({ query, states, clock, providerOf: async (id) => (id === p.id ? { provider: p } : undefined) });
}

describe('authorization request (RFC 6749 §4.1.1, RFC 7636)', () => {
  beforeEach(() => {
    now = 1_700_000_000_000;
  });

  it('sends the exact redirect URI, the scopes, a 256-bit state and an S256 challenge, keeping the endpoint query', async () => {
    const { url, started } = await start();
    expect(`${url.origin}${url.pathname}`).toBe('https://id.acme.test/authorize');
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      tenant: 't1',
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: client.redirectUri,
      scope: 'read write',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
    // base64url of 32 random bytes: 43 characters, 256 bits.
    expect(params.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.state).toBe(started.state);
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  describe('offline_access (OpenID Connect Core 1.0 §11)', () => {
    const withScopes = (extra: Record<string, unknown>): ResolvedProvider => ({
      ...resolveWithoutDiscovery(
        parseProviderDefinition({ id: 'sso', displayName: 'SSO', endpoints: provider.endpoints, scopes: { default: ['openid', 'offline_access'] }, ...extra }),
      ),
    });
    const promptOf = async (p: ResolvedProvider) =>
      new URL((await beginAuthorization({ provider: p, client, userId: 'u', states: new MemoryStateStore(), clock })).url).searchParams.getAll('prompt');

    it('asks for consent, which such servers require before they issue a refresh token', async () => {
      expect(await promptOf(withScopes({}))).toEqual(['consent']);
    });

    it('leaves prompt alone without offline_access', async () => {
      expect(await promptOf(withScopes({ scopes: { default: ['openid'] } }))).toEqual([]);
    });

    it('lets a preset or the admin say otherwise: their prompt wins, an empty one sends none, or the rule is off', async () => {
      expect(await promptOf(withScopes({ authorizationParams: { prompt: 'login consent' } }))).toEqual(['login consent']);
      expect(await promptOf(withScopes({ authorizationParams: { prompt: '' } }))).toEqual([]);
      expect(await promptOf(withScopes({ consentForOfflineAccess: false }))).toEqual([]);
    });
  });

  it('sends each security parameter exactly once', async () => {
    const { url } = await start();
    for (const name of ['state', 'redirect_uri', 'client_id', 'response_type', 'code_challenge', 'code_challenge_method']) {
      expect(url.searchParams.getAll(name)).toHaveLength(1);
    }
  });

  it('makes a new state and verifier each time', async () => {
    const states = new MemoryStateStore();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add((await start(states)).started.state);
    expect(seen.size).toBe(50);
    expect(states.size).toBe(50);
  });

  it('computes the RFC 7636 Appendix B challenge', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('remembers user, provider, verifier, redirect URI, scopes and the platform context with the state', async () => {
    const { started, states, url } = await start();
    const { pending, code } = await complete(states, { state: started.state, code: 'the-code', iss: 'https://id.acme.test' });
    expect(code).toBe('the-code');
    expect(pending).toMatchObject({
      userId: 'user-a',
      providerId: 'acme',
      redirectUri: client.redirectUri,
      scopes: ['read', 'write'],
      context: { roomId: 'room-1' },
    });
    expect(pkceChallenge(pending.codeVerifier!)).toBe(url.searchParams.get('code_challenge'));
    expect(pending.expiresAt).toBe(1_700_000_000_000 + 10 * 60 * 1000);
  });
});

describe('authorization response (RFC 6749 §4.1.2, RFC 9207)', () => {
  it('accepts a state once: a replay is refused', async () => {
    const { started, states } = await start();
    await complete(states, { state: started.state, code: 'c1' });
    const replay = await rejectionOf(complete(states, { state: started.state, code: 'c1' }));
    expect(replay.kind).toBe('invalid_state');
    expect(replay.message).toMatch(/unknown or was already used/);
  });

  it('refuses an unknown or missing state', async () => {
    const { states } = await start();
    expect((await rejectionOf(complete(states, { state: 'forged', code: 'c' }))).kind).toBe('invalid_state');
    expect((await rejectionOf(complete(states, { code: 'c' }))).kind).toBe('invalid_state');
  });

  it('refuses a state after its 10 minutes, and the state is spent', async () => {
    const { started, states } = await start();
    now += 10 * 60 * 1000;
    const late = await rejectionOf(complete(states, { state: started.state, code: 'c' }));
    expect(late.kind).toBe('invalid_state');
    expect(late.message).toMatch(/expired/);
    expect(states.size).toBe(0);
  });

  it('refuses a response whose iss names another server (mix-up)', async () => {
    const { started, states } = await start();
    const error = await rejectionOf(complete(states, { state: started.state, code: 'c', iss: 'https://attacker.test' }));
    expect(error.kind).toBe('invalid_state');
    expect(error.message).toMatch(/another issuer/);
  });

  it('requires iss when the metadata promised it', async () => {
    const strict = { ...provider, issParameterRequired: true };
    const states = new MemoryStateStore();
    const started = await beginAuthorization({ provider: strict, client, userId: 'u', states, clock });
    expect((await rejectionOf(complete(states, { state: started.state, code: 'c' }, strict))).kind).toBe('invalid_state');
  });

  it('says access_denied as a refusal of consent, and spends the state', async () => {
    const { started, states } = await start();
    const denied = await rejectionOf(complete(states, { state: started.state, error: 'access_denied', error_description: 'User said no' }));
    expect(denied.kind).toBe('access_denied');
    expect(denied.request).toEqual({ userId: 'user-a', providerId: 'acme', context: { roomId: 'room-1' } });
    expect(states.size).toBe(0);
  });

  it('names the request in a new error of the same kind and details, the original failure as its cause', async () => {
    const { started, states } = await start();
    const denied = await rejectionOf(complete(states, { state: started.state, error: 'access_denied' }));
    expect(denied.cause).toBeInstanceOf(OAuthError);
    const original = denied.cause as OAuthError;
    expect(original).not.toBe(denied);
    expect(original.request).toBeUndefined();
    expect(denied).toMatchObject({ kind: original.kind, message: original.message, oauthError: 'access_denied', relayed: true, providerId: 'acme' });
    // As ES2022 puts it: an own property, not enumerable, so serializing the error is unchanged.
    expect(Object.getOwnPropertyDescriptor(denied, 'cause')).toMatchObject({ enumerable: false });
    expect(Object.keys(denied)).not.toContain('cause');
  });

  it('has no cause where nothing was wrapped', async () => {
    const { states } = await start();
    const unknown = await rejectionOf(complete(states, { state: 'forged', code: 'c' }));
    expect('cause' in unknown).toBe(false);
  });

  it('refuses repeated parameters and oversized values with a 4xx-worthy error, never a crash', async () => {
    const { started, states } = await start();
    expect((await rejectionOf(complete(states, { state: [started.state, started.state], code: 'c' }))).kind).toBe('invalid_state');
    expect((await rejectionOf(complete(states, { state: 'x'.repeat(600), code: 'c' }))).kind).toBe('invalid_state');
  });

  it('keeps a code echoed in error_description out of the message', async () => {
    const { started, states } = await start();
    const error = await rejectionOf(
      complete(states, { state: started.state, code: 'leaky-code-123', error: 'invalid_scope', error_description: 'bad scope for code leaky-code-123' }),
    );
    expect(error.kind).toBe('provider_misconfigured');
    expect(error.message).not.toContain('leaky-code-123');
  });
});
