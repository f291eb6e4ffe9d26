import { providerLabel } from '../../src/app/commands/help';
import { expiryText } from '../../src/app/commands/shared';
import { messageForError } from '../../src/app/error-words';
import { translator } from '../../src/app/i18n';
import { escapeHtml, htmlPage } from '../../src/app/web/pages';
import { OAuthError, type OAuthErrorKind } from '../../src/core/errors';
import { publicEndpointUrl, redirectUriOf } from '../../src/rocketchat/configuration';
import { fromEngine, toEngine } from '../../src/rocketchat/engine-boundary';
import { blocksOf } from '../../src/rocketchat/replies';
import { readTokenRecord, tokenRecordOf, TOKEN_RECORD_FORMAT } from '../../src/rocketchat/token-store';

describe('redirect URI', () => {
  it('is the complete endpoint under the public base, without a doubled slash', () => {
    expect(redirectUriOf('https://chat.example.com/', 'app-1')).toBe('https://chat.example.com/api/apps/public/app-1/complete');
    expect(redirectUriOf('https://example.com/chat//', 'app-1')).toBe('https://example.com/chat/api/apps/public/app-1/complete');
    expect(publicEndpointUrl('http://127.0.0.1:3000', 'a', 'connect')).toBe('http://127.0.0.1:3000/api/apps/public/a/connect');
  });
});

describe('error messages', () => {
  const kinds: OAuthErrorKind[] = [
    'not_connected',
    'reconnect_required',
    'provider_misconfigured',
    'provider_unavailable',
    'invalid_response',
    'access_denied',
    'invalid_state',
    'invalid_configuration',
  ];

  it.each(kinds)('gives %s its own message', (kind) => {
    expect(messageForError(new OAuthError(kind, 'x')).key).toBe(`error_${kind}`);
  });

  it('offers a Connect button exactly where connecting again helps', () => {
    const offered = kinds.filter((kind) => messageForError(new OAuthError(kind, 'x')).offerConnect);
    expect(offered.sort()).toEqual(['access_denied', 'invalid_state', 'not_connected', 'reconnect_required']);
  });

  it('tells why a connection must be made again: refused, expired, or unreadable here', () => {
    expect(messageForError(new OAuthError('reconnect_required', 'x', { reason: 'expired' }))).toMatchObject({
      key: 'error_connection_expired',
      offerConnect: true,
    });
    expect(messageForError(new OAuthError('reconnect_required', 'x', { reason: 'unreadable_record' }))).toMatchObject({
      key: 'error_record_unreadable',
      offerConnect: true,
    });
    expect(messageForError(new OAuthError('reconnect_required', 'x'))).toMatchObject({ key: 'error_reconnect_required', offerConnect: true });
  });

  it('says an unexpected failure is unexpected, without its text', () => {
    expect(messageForError(new TypeError('x is undefined'))).toEqual({ key: 'error_unexpected', offerConnect: false, expected: false });
  });
});

describe('complete page', () => {
  it('escapes every value and allows nothing but its own style', () => {
    const page = htmlPage({ status: 200, tone: 'ok', title: '<script>alert(1)</script>', message: 'A & "B"', hint: "it's", language: 'pt-BR' });
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('&lt;script&gt;');
    expect(page.body).toContain('A &amp; &quot;B&quot;');
    expect(page.body).toContain('<html lang="pt-BR">');
    expect(page.headers?.['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    expect(page.headers?.['cache-control']).toBe('no-store');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});

describe('reply blocks', () => {
  it('renders sections, a note and link buttons that carry the app id', () => {
    const blocks = blocksOf('app-1', {
      sections: ['*Hi*'],
      note: 'small',
      buttons: [{ label: 'Connect', url: 'https://x/connect?link=1', actionId: 'oauth-connect', style: 'primary' }],
    });
    expect(blocks.map((b) => b.type)).toEqual(['section', 'context', 'actions']);
    expect(blocks[2]).toMatchObject({
      elements: [{ type: 'button', appId: 'app-1', actionId: 'oauth-connect', url: 'https://x/connect?link=1', text: { type: 'plain_text', text: 'Connect' } }],
    });
  });
});

describe('the engine boundary (msgpack turns undefined into null)', () => {
  it('sends no undefined member, however deep', () => {
    const sent = toEngine({ a: 1, b: undefined, c: { d: undefined, e: [{ f: undefined, g: 'x' }] } });
    expect(sent).toEqual({ a: 1, c: { e: [{ g: 'x' }] } });
    expect(JSON.stringify(Object.keys(sent))).toBe('["a","c"]');
  });

  it('reads null as absent', () => {
    expect(fromEngine({ a: null, b: { c: null, d: 0, e: false, f: '' } })).toEqual({ b: { d: 0, e: false, f: '' } });
  });
});

describe('token records', () => {
  const connection = {
    userId: 'u1',
    providerId: 'github',
    connectedAt: 1,
    tokens: {
      accessToken: 'gho_secret-value',
      tokenType: 'bearer',
      obtainedAt: 1,
      scopes: ['read:user'],
      refreshToken: undefined,
      expiresAt: undefined,
      idToken: undefined,
    },
  };

  it('are written with a format number and no undefined member, and read back whole', () => {
    const record = tokenRecordOf(connection);
    expect(record.format).toBe(TOKEN_RECORD_FORMAT);
    expect(Object.keys(record.tokens)).not.toContain('refreshToken');
    expect(readTokenRecord(record)).toEqual({
      connection: { ...connection, tokens: { accessToken: 'gho_secret-value', tokenType: 'bearer', obtainedAt: 1, scopes: ['read:user'] } },
    });
  });

  it('written by 0.1.0 on the Deno runtime (no format, null for what the provider left out) still read', () => {
    const legacy = { ...connection, accountName: null, tokens: { ...connection.tokens, refreshToken: null, expiresAt: null, idToken: null } };
    expect(readTokenRecord(legacy)).toMatchObject({ connection: { userId: 'u1', tokens: { accessToken: 'gho_secret-value' } } });
  });

  it('that cannot be read say why, naming fields and never values', () => {
    const newer = readTokenRecord({ ...tokenRecordOf(connection), format: TOKEN_RECORD_FORMAT + 1 });
    expect(newer).toEqual({ unreadable: expect.stringContaining('newer version') });
    const damaged = readTokenRecord({ ...tokenRecordOf(connection), tokens: { ...connection.tokens, accessToken: 42 } });
    expect(damaged).toEqual({ unreadable: 'tokens.accessToken: expected string' });
    expect(JSON.stringify([newer, damaged])).not.toContain('gho_secret');
    expect(readTokenRecord('garbage')).toEqual({ unreadable: 'not an object' });
  });
});

describe('words of the replies', () => {
  const t = translator('en');
  const now = 1_700_000_000_000;
  const tokens = (minutesLeft: number) => ({
    accessToken: 'a',
    tokenType: 'Bearer',
    obtainedAt: now - 3_600_000,
    expiresAt: now + minutesLeft * 60_000,
    scopes: [],
  });

  it('say one minute in the singular', () => {
    expect(expiryText(t, tokens(1), now)).toBe('token valid for 1 more minute');
    expect(expiryText(t, tokens(5), now)).toBe('token valid for 5 more minutes');
  });

  it('name a provider once when its name is the one users type', () => {
    expect(providerLabel('demo', 'demo')).toBe('`demo`');
    expect(providerLabel('GitHub', 'github')).toBe('GitHub (`github`)');
    expect(providerLabel('GitHub', 'gh')).toBe('GitHub (`gh`)');
  });
});
