import { resolveWithoutDiscovery } from '../../src/core/discovery';
import { OAuthError, type OAuthErrorKind } from '../../src/core/errors';
import { USER_AGENT } from '../../src/core/http';
import { TransportError } from '../../src/core/ports';
import { parseProviderDefinition, type ResolvedProvider } from '../../src/core/provider';
import { requestTokens, type TokenGrant } from '../../src/core/token';
import { needsRefresh, type TokenSet } from '../../src/core/tokens';
import { json, RecordingTransport, type Answer } from '../support/recording-transport';

const NOW = 1_700_000_000_000;
const clock = { now: () => NOW };
const client = { clientId: 'client id', clientSecret: 'se:cret&1', redirectUri: 'https://chat.example.com/cb' };
const provider: ResolvedProvider = resolveWithoutDiscovery(
  parseProviderDefinition({
    id: 'acme',
    displayName: 'Acme',
    endpoints: { authorization: 'https://id.acme.test/authorize', token: 'https://id.acme.test/token' },
  }),
);
const codeGrant: TokenGrant = {
  type: 'authorization_code',
  code: 'code-abc',
  codeVerifier: 'verifier-xyz',
  redirectUri: client.redirectUri,
  requestedScopes: ['read'],
};
const previous: TokenSet & { refreshToken: string } = {
  accessToken: 'old-access',
  tokenType: 'Bearer',
  refreshToken: 'old-refresh',
  obtainedAt: NOW - 7200_000,
  expiresAt: NOW - 1,
  scopes: ['read', 'write'],
};

async function exchange(answer: Answer, grant: TokenGrant = codeGrant) {
  const transport = new RecordingTransport().answer(answer);
  const tokens = await requestTokens({ transport, clock }, provider, client, grant);
  return { tokens, transport };
}

async function failure(answer: Answer, grant: TokenGrant = codeGrant): Promise<OAuthError> {
  const error = await exchange(answer, grant).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe('code exchange request (RFC 6749 §4.1.3, RFC 7636 §4.5)', () => {
  it('POSTs a form with the code, the verifier and the exact redirect URI, client_secret_basic by default', async () => {
    const { transport } = await exchange(json({ access_token: 'at', token_type: 'Bearer' }));
    const request = transport.last;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://id.acme.test/token');
    expect(request.headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': USER_AGENT,
      // RFC 6749 §2.3.1: id and secret are form-encoded (space as +) before base64.
      authorization: `Basic ${Buffer.from('client+id:se%3Acret%261').toString('base64')}`,
    });
    expect(RecordingTransport.form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-abc',
      redirect_uri: client.redirectUri,
      code_verifier: 'verifier-xyz',
    });
  });

  it('refuses to send a confidential request without a secret', async () => {
    const transport = new RecordingTransport();
    await expect(requestTokens({ transport, clock }, provider, { ...client, clientSecret: undefined }, codeGrant)).rejects.toMatchObject({
      kind: 'invalid_configuration',
      field: 'clientSecret',
    });
    expect(transport.requests).toHaveLength(0);
  });
});

describe('token response (RFC 6749 §5.1)', () => {
  it('computes an absolute expiry at receipt and records the granted scopes', async () => {
    const { tokens } = await exchange(json({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', scope: 'read write' }));
    expect(tokens).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      refreshToken: 'rt',
      expiresAt: NOW + 3600_000,
      obtainedAt: NOW,
      scopes: ['read', 'write'],
      requestedScopes: ['read'],
      idToken: undefined,
    });
  });

  it('reads an expires_in beyond ten years as no known expiry, not as a token valid for millennia', async () => {
    const { tokens } = await exchange(json({ access_token: 'at', token_type: 'Bearer', expires_in: 1501138041000 }));
    expect(tokens.expiresAt).toBeUndefined();
  });

  it('has no expiry when the server gives none, and records the requested scopes when it gives none', async () => {
    const { tokens } = await exchange(json({ access_token: 'at', token_type: 'Bearer' }));
    expect(tokens.expiresAt).toBeUndefined();
    expect(tokens.scopes).toEqual(['read']);
    expect(needsRefresh(tokens, NOW + 10 * 365 * 86400_000)).toBe(false);
  });

  it('reads form-encoded answers with expires_in as a string', async () => {
    const { tokens } = await exchange({
      status: 200,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'access_token=at&token_type=bearer&expires_in=60&scope=repo%2Cgist',
    });
    expect(tokens).toMatchObject({ accessToken: 'at', expiresAt: NOW + 60_000, scopes: ['repo', 'gist'] });
  });

  it('keeps the previous refresh token and scopes when a refresh answer omits them (RFC 6749 §6)', async () => {
    const { tokens, transport } = await exchange(json({ access_token: 'new-access', token_type: 'Bearer', expires_in: 60 }), {
      type: 'refresh_token',
      previous,
    });
    expect(RecordingTransport.form(transport.last)).toEqual({ grant_type: 'refresh_token', refresh_token: 'old-refresh' });
    expect(tokens).toMatchObject({ accessToken: 'new-access', refreshToken: 'old-refresh', scopes: ['read', 'write'] });
  });

  it('takes the rotated refresh token when one comes', async () => {
    const { tokens } = await exchange(json({ access_token: 'a2', token_type: 'Bearer', refresh_token: 'r2' }), { type: 'refresh_token', previous });
    expect(tokens.refreshToken).toBe('r2');
  });

  const failures: Array<[string, Answer, OAuthErrorKind, RegExp]> = [
    [
      'an error in an HTTP 200 (GitHub)',
      json({ error: 'invalid_grant', error_description: 'The code is bad' }),
      'reconnect_required',
      /invalid_grant: The code is bad/,
    ],
    ['invalid_grant in a 400', json({ error: 'invalid_grant' }, 400), 'reconnect_required', /invalid_grant/],
    ['invalid_client in a 401', json({ error: 'invalid_client' }, 401), 'provider_misconfigured', /invalid_client/],
    ['unauthorized_client', json({ error: 'unauthorized_client' }, 400), 'provider_misconfigured', /unauthorized_client/],
    ['a bare 401', { status: 401, body: '' }, 'provider_misconfigured', /refused the client credentials/],
    ['a 404', { status: 404, body: 'Not Found' }, 'provider_misconfigured', /check the token URL/],
    ['a 500', { status: 500, body: 'oops' }, 'provider_unavailable', /HTTP 500/],
    ['a 503 with an OAuth error', json({ error: 'temporarily_unavailable' }, 503), 'provider_unavailable', /temporarily_unavailable/],
    ['a 429', { status: 429, body: '' }, 'provider_unavailable', /HTTP 429/],
    [
      'an HTML page with 200',
      { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Login</body></html>' },
      'invalid_response',
      /HTML page/,
    ],
    ['a non-JSON body', { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' }, 'invalid_response', /neither JSON nor form/],
    ['broken JSON', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":' }, 'invalid_response', /neither JSON/],
    ['a missing access_token', json({ token_type: 'Bearer', expires_in: 10 }), 'invalid_response', /access_token is missing/],
    ['an empty access_token', json({ access_token: '', token_type: 'Bearer' }), 'invalid_response', /access_token/],
    ['a negative expires_in', json({ access_token: 'at', expires_in: -5 }), 'invalid_response', /expires_in/],
    ['an empty 200', { status: 200, body: '' }, 'invalid_response', /empty body/],
    ['a 400 without error', { status: 400, body: 'bad' }, 'invalid_response', /HTTP 400/],
  ];

  it.each(failures)('turns %s into a typed error', async (_name, answer, kind, message) => {
    const error = await failure(answer);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });

  it('turns timeouts and network failures into retryable provider_unavailable', async () => {
    for (const answer of ['timeout', 'network'] as const) {
      const error = await failure(answer);
      expect(error).toMatchObject({ kind: 'provider_unavailable', retryable: true });
      expect(error.message).toContain('https://id.acme.test/token');
      // The transport's own failure is kept, not lost: the cause says which one it was.
      expect(error.cause).toBeInstanceOf(TransportError);
      expect((error.cause as TransportError).reason).toBe(answer);
    }
  });

  it('never repeats a secret the server echoes in error_description', async () => {
    const error = await failure(
      json({ error: 'invalid_grant', error_description: 'code code-abc with verifier verifier-xyz and secret se:cret&1 rejected' }, 400),
    );
    for (const secret of ['code-abc', 'verifier-xyz', 'se:cret&1']) expect(error.message).not.toContain(secret);
    const refreshError = await failure(json({ error: 'invalid_grant', error_description: 'old-refresh is spent' }, 400), { type: 'refresh_token', previous });
    expect(refreshError.message).not.toContain('old-refresh');
  });
});

describe('refresh margin', () => {
  const token = (lifetimeS: number): TokenSet => ({ accessToken: 'a', tokenType: 'Bearer', obtainedAt: NOW, expiresAt: NOW + lifetimeS * 1000, scopes: [] });

  it('refreshes within 60 s of expiry for a long-lived token', () => {
    expect(needsRefresh(token(3600), NOW + 3539_000)).toBe(false);
    expect(needsRefresh(token(3600), NOW + 3540_000)).toBe(true);
  });

  it('uses at most half the lifetime as margin, so short tokens are used before refreshing', () => {
    expect(needsRefresh(token(2), NOW + 900)).toBe(false);
    expect(needsRefresh(token(2), NOW + 1000)).toBe(true);
  });
});
