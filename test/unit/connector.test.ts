import { OAuthConnector } from '../../src/core/connector';
import { MetadataCache } from '../../src/core/discovery';
import { parseProviderDefinition, type ProviderInput } from '../../src/core/provider';
import type { Logger } from '../../src/core/redact';
import { MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';
import { json, RecordingTransport } from '../support/recording-transport';

const NOW = 1_700_000_000_000;
const client = { clientId: 'client-1', clientSecret: 'the-client-secret', redirectUri: 'https://chat.example.com/cb' };

function connectorFor(input: Partial<ProviderInput> = {}) {
  const definition = parseProviderDefinition({
    id: 'acme',
    displayName: 'Acme',
    endpoints: {
      authorization: 'https://id.acme.test/authorize',
      token: 'https://id.acme.test/token',
      revocation: 'https://id.acme.test/revoke',
      userinfo: 'https://id.acme.test/me',
    },
    profile: { accountNamePath: 'login' },
    ...input,
  });
  const transport = new RecordingTransport();
  const tokens = new MemoryTokenStore();
  const states = new MemoryStateStore();
  const lines: string[] = [];
  const logger: Logger = {
    debug: (...args) => lines.push(JSON.stringify(args)),
    info: (...args) => lines.push(JSON.stringify(args)),
    warn: (...args) => lines.push(JSON.stringify(args)),
    error: (...args) => lines.push(JSON.stringify(args)),
  };
  const connector = new OAuthConnector({
    providers: { get: async (id) => (id === 'acme' ? { definition, client } : undefined) },
    transport,
    tokens,
    states,
    clock: { now: () => NOW },
    logger,
  });
  return { connector, transport, tokens, states, lines };
}

async function connected(setup = connectorFor()) {
  const { connector, transport } = setup;
  const start = await connector.beginAuthorization('user-1', 'acme', { context: { roomId: 'r1' } });
  transport.answer(
    json({ access_token: 'access-token-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-token-1' }),
    json({ login: 'alice' }),
  );
  const done = await connector.completeAuthorization({ state: start.state, code: 'auth-code-1' });
  return { ...setup, done };
}

describe('OAuthConnector', () => {
  it('connects: exchanges the code, reads the account name, stores the connection and returns the platform context', async () => {
    const { done, tokens, transport } = await connected();
    expect(done.pending.context).toEqual({ roomId: 'r1' });
    expect(done.connection).toMatchObject({ userId: 'user-1', providerId: 'acme', accountName: 'alice' });
    expect(await tokens.get('user-1', 'acme')).toEqual(done.connection);
    expect(transport.requests[1]).toMatchObject({ method: 'GET', url: 'https://id.acme.test/me', headers: { authorization: 'Bearer access-token-1' } });
  });

  it('stores nothing when the exchange fails', async () => {
    const { connector, transport, tokens } = connectorFor();
    const start = await connector.beginAuthorization('user-1', 'acme');
    transport.answer(json({ error: 'invalid_grant' }, 400));
    // The failure says whose request it was, so the platform can answer that user where they asked.
    await expect(connector.completeAuthorization({ state: start.state, code: 'c' })).rejects.toMatchObject({
      kind: 'reconnect_required',
      request: { userId: 'user-1', providerId: 'acme' },
    });
    expect(await tokens.get('user-1', 'acme')).toBeUndefined();
  });

  it('still connects when the profile endpoint fails (the account name is optional)', async () => {
    const { connector, transport } = connectorFor();
    const start = await connector.beginAuthorization('user-1', 'acme');
    transport.answer(json({ access_token: 'at', token_type: 'Bearer' }), { status: 500, body: '' });
    const done = await connector.completeAuthorization({ state: start.state, code: 'c' });
    expect(done.connection.accountName).toBeUndefined();
  });

  it('retries an API call once after a 401 with a refreshed token', async () => {
    const { connector, transport } = await connected();
    transport.answer({ status: 401 }, json({ access_token: 'access-token-2', token_type: 'Bearer', expires_in: 3600 }), json({ ok: true }));
    const response = await connector.authorizedRequest('user-1', 'acme', { method: 'GET', url: 'https://api.acme.test/things', headers: {} });
    expect(response.status).toBe(200);
    const [, , first, refresh, retry] = transport.requests;
    expect(first.headers.authorization).toBe('Bearer access-token-1');
    expect(RecordingTransport.form(refresh)).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-token-1' });
    expect(retry.headers.authorization).toBe('Bearer access-token-2');
  });

  it("reads a refused token in an HTTP 200 where the provider's errorAnswer says so, and only there", async () => {
    const errorAnswer = { flagPath: 'result.status', flagValue: 'failed', codePath: 'result.reason', tokenRefused: ['session_expired'] };
    const refused = json({ result: { status: 'failed', reason: 'session_expired' } });
    const request = { method: 'GET' as const, url: 'https://api.acme.test/things', headers: {} };

    const flagged = await connected(connectorFor({ errorAnswer }));
    flagged.transport.answer(refused, json({ access_token: 'access-token-2', token_type: 'Bearer', expires_in: 3600 }), json({ result: { status: 'done' } }));
    expect(JSON.parse((await flagged.connector.authorizedRequest('user-1', 'acme', request)).body)).toEqual({ result: { status: 'done' } });
    expect(flagged.transport.requests.map((r) => r.headers.authorization ?? RecordingTransport.form(r).grant_type)).toEqual([
      'Basic Y2xpZW50LTE6dGhlLWNsaWVudC1zZWNyZXQ=',
      'Bearer access-token-1',
      'Bearer access-token-1',
      'Basic Y2xpZW50LTE6dGhlLWNsaWVudC1zZWNyZXQ=',
      'Bearer access-token-2',
    ]);

    const plain = await connected();
    plain.transport.answer(refused);
    expect((await plain.connector.authorizedRequest('user-1', 'acme', request)).status).toBe(200);
    expect(plain.transport.requests).toHaveLength(3);
  });

  it('asks to reconnect when the API still says 401 after the refresh', async () => {
    const { connector, transport } = await connected();
    transport.answer({ status: 401 }, json({ access_token: 'access-token-2', token_type: 'Bearer' }), { status: 401 });
    await expect(connector.authorizedRequest('user-1', 'acme', { method: 'GET', url: 'https://api.acme.test/x', headers: {} })).rejects.toMatchObject({
      kind: 'reconnect_required',
    });
  });

  it('disconnect revokes refresh then access token with hints and client auth (RFC 7009), then deletes the record', async () => {
    const { connector, transport, tokens } = await connected();
    transport.answer({ status: 200 }, { status: 200 });
    const result = await connector.disconnect('user-1', 'acme');
    expect(result).toEqual({
      summary: 'revoked',
      outcomes: [
        { token: 'refresh_token', result: 'revoked' },
        { token: 'access_token', result: 'revoked' },
      ],
    });
    const [refresh, access] = transport.requests.slice(2);
    expect(refresh).toMatchObject({ method: 'POST', url: 'https://id.acme.test/revoke' });
    expect(refresh.headers.authorization).toMatch(/^Basic /);
    expect(RecordingTransport.form(refresh)).toEqual({ token: 'refresh-token-1', token_type_hint: 'refresh_token' });
    expect(RecordingTransport.form(access)).toEqual({ token: 'access-token-1', token_type_hint: 'access_token' });
    expect(await tokens.get('user-1', 'acme')).toBeUndefined();
  });

  it('disconnect deletes the record whatever the provider answers, and says what it answered', async () => {
    const { connector, transport, tokens } = await connected();
    transport.answer(json({ error: 'invalid_client' }, 401), 'timeout');
    const result = await connector.disconnect('user-1', 'acme');
    expect(result.summary).toBe('failed');
    expect(result.outcomes).toEqual([
      { token: 'refresh_token', result: 'failed', status: 401, oauthError: 'invalid_client', reason: 'the provider refused the client credentials' },
      expect.objectContaining({ token: 'access_token', result: 'failed' }),
    ]);
    expect(await tokens.get('user-1', 'acme')).toBeUndefined();
  });

  it('reports unsupported_token_type (RFC 7009 §2.2.1) as unsupported, not as failure', async () => {
    const { connector, transport } = await connected();
    transport.answer({ status: 200 }, json({ error: 'unsupported_token_type' }, 400));
    const result = await connector.disconnect('user-1', 'acme');
    expect(result.summary).toBe('revoked');
    expect(result.outcomes[1]).toEqual({ token: 'access_token', result: 'unsupported' });
  });

  it('says not_supported when the provider has no revocation endpoint, and still deletes', async () => {
    const setup = connectorFor({
      endpoints: { authorization: 'https://id.acme.test/authorize', token: 'https://id.acme.test/token', userinfo: 'https://id.acme.test/me' },
    });
    const { connector, tokens } = await connected(setup);
    expect((await connector.disconnect('user-1', 'acme')).summary).toBe('not_supported');
    expect(await tokens.get('user-1', 'acme')).toBeUndefined();
  });

  it('never writes a token, code, secret or verifier to its log', async () => {
    const { connector, transport, lines } = await connected();
    transport.answer(json({ access_token: 'access-token-2', token_type: 'Bearer' }));
    await connector.refresh('user-1', 'acme');
    transport.answer({ status: 500 }, { status: 500 });
    await connector.disconnect('user-1', 'acme');
    const log = lines.join('\n');
    expect(log).toMatch(/connected to acme/);
    for (const secret of ['access-token-1', 'access-token-2', 'refresh-token-1', 'auth-code-1', 'the-client-secret']) expect(log).not.toContain(secret);
  });

  it("reads a shared metadata cache on the connector's clock", async () => {
    const issuer = 'https://sso.acme.test';
    const definition = parseProviderDefinition({ id: 'sso', displayName: 'SSO', issuer, discovery: 'openid' });
    const transport = new RecordingTransport(json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token` }));
    // Made once per process, as the Rocket.Chat adapter does: no clock of its own.
    const metadata = new MetadataCache(undefined, { ttlMs: 60_000 });
    let now = NOW;
    const connector = new OAuthConnector({
      providers: { get: async () => ({ definition, client }) },
      transport,
      tokens: new MemoryTokenStore(),
      states: new MemoryStateStore(),
      clock: { now: () => now },
      metadata,
    });
    await connector.provider('sso');
    now += 30_000;
    await connector.provider('sso');
    expect(transport.requests).toHaveLength(1);
    now += 31_000;
    await connector.provider('sso');
    expect(transport.requests).toHaveLength(2);
  });

  it('answers an unknown provider with invalid_configuration', async () => {
    const { connector } = connectorFor();
    await expect(connector.beginAuthorization('user-1', 'nope')).rejects.toMatchObject({ kind: 'invalid_configuration' });
  });
});
