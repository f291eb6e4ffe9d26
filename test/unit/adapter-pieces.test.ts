import { OAuthError, type OAuthErrorKind } from '../../src/core/errors';
import { publicEndpointUrl, redirectUriOf } from '../../src/rocketchat/configuration';
import { escapeHtml, htmlPage } from '../../src/rocketchat/endpoints/html-page';
import { messageForError } from '../../src/rocketchat/error-replies';
import { blocksOf } from '../../src/rocketchat/replies';

describe('redirect URI', () => {
  it('is the complete endpoint under the public base, without a doubled slash', () => {
    expect(redirectUriOf('https://chat.example.com/', 'app-1')).toBe('https://chat.example.com/api/apps/public/app-1/complete');
    expect(redirectUriOf('https://example.com/chat//', 'app-1')).toBe('https://example.com/chat/api/apps/public/app-1/complete');
    expect(publicEndpointUrl('http://127.0.0.1:3000', 'a', 'connect')).toBe('http://127.0.0.1:3000/api/apps/public/a/connect');
  });
});

describe('error messages', () => {
  const kinds: OAuthErrorKind[] = ['not_connected', 'reconnect_required', 'provider_misconfigured', 'provider_unavailable', 'invalid_response', 'access_denied', 'invalid_state', 'invalid_configuration'];

  it.each(kinds)('gives %s its own message', (kind) => {
    expect(messageForError(new OAuthError(kind, 'x')).key).toBe(`error_${kind}`);
  });

  it('offers a Connect button exactly where connecting again helps', () => {
    const offered = kinds.filter((kind) => messageForError(new OAuthError(kind, 'x')).offerConnect);
    expect(offered.sort()).toEqual(['access_denied', 'invalid_state', 'not_connected', 'reconnect_required']);
  });

  it('says an unexpected failure is unexpected, without its text', () => {
    expect(messageForError(new TypeError('x is undefined'))).toEqual({ key: 'error_unexpected', offerConnect: false, expected: false });
  });
});

describe('complete page', () => {
  it('escapes every value and allows nothing but its own style', () => {
    const page = htmlPage({ status: 200, tone: 'ok', title: '<script>alert(1)</script>', message: 'A & "B"', hint: "it's", language: 'pt-BR' });
    expect(page.content).not.toContain('<script>');
    expect(page.content).toContain('&lt;script&gt;');
    expect(page.content).toContain('A &amp; &quot;B&quot;');
    expect(page.content).toContain('<html lang="pt-BR">');
    expect(page.headers?.['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    expect(page.headers?.['cache-control']).toBe('no-store');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});

describe('reply blocks', () => {
  it('renders sections, a note and link buttons that carry the app id', () => {
    const blocks = blocksOf('app-1', { sections: ['*Hi*'], note: 'small', buttons: [{ label: 'Connect', url: 'https://x/connect?link=1', actionId: 'oauth-connect', style: 'primary' }] });
    expect(blocks.map((b) => b.type)).toEqual(['section', 'context', 'actions']);
    expect(blocks[2]).toMatchObject({ elements: [{ type: 'button', appId: 'app-1', actionId: 'oauth-connect', url: 'https://x/connect?link=1', text: { type: 'plain_text', text: 'Connect' } }] });
  });
});
