import fc from 'fast-check';
import { REDACTED, redactingLogger, redactText, redactValue } from '../../src/core/redact';

describe('redaction', () => {
  it('masks credentials in URLs and form bodies even when their values are unknown', () => {
    const text = 'GET https://chat.test/complete?code=abc123&state=s-789&iss=https%3A%2F%2Fid and body grant_type=refresh_token&refresh_token=r-456&client_secret=zzz';
    const out = redactText(text);
    for (const value of ['abc123', 's-789', 'r-456', 'zzz']) expect(out).not.toContain(value);
    expect(out).toContain('iss=https%3A%2F%2Fid');
    expect(out).toContain('grant_type=refresh_token');
  });

  it('does not mistake look-alike parameter names for credentials', () => {
    expect(redactText('code_challenge=abc&error_code=42')).toBe('code_challenge=abc&error_code=42');
  });

  it('masks JSON members and Authorization credentials', () => {
    const out = redactText('{"access_token":"at-1","token_type":"Bearer","id_token":"eyJx"} Authorization: Bearer at-2 / Basic Y2xpZW50OnNlY3JldA==');
    expect(out).toBe(`{"access_token":"${REDACTED}","token_type":"Bearer","id_token":"${REDACTED}"} Authorization: Bearer ${REDACTED} / Basic ${REDACTED}`);
  });

  it('masks known secret values wherever they appear, raw or URL-encoded', () => {
    expect(redactText('secret is s3cr&t! or s3cr%26t!', ['s3cr&t!'])).toBe(`secret is ${REDACTED} or ${REDACTED}`);
  });

  it('masks secret-named keys of objects and error messages', () => {
    const value = redactValue({ tokens: { accessToken: 'a', refreshToken: 'b', scopes: ['read'] }, clientSecret: 'c', nested: [new Error('failed with code=xyz')] });
    expect(value).toEqual({ tokens: { accessToken: REDACTED, refreshToken: REDACTED, scopes: ['read'] }, clientSecret: REDACTED, nested: [{ name: 'Error', message: `failed with code=${REDACTED}` }] });
  });

  it('for any secret value, a log line that contains it comes out without it', () => {
    const lines: string[] = [];
    const sink = { debug: () => {}, info: (m: string, ...a: unknown[]) => lines.push(m + JSON.stringify(a)), warn: () => {}, error: () => {} };
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 80 }), fc.string({ maxLength: 40 }), (secret, around) => {
        lines.length = 0;
        const logger = redactingLogger(sink, () => [secret]);
        logger.info(`${around}${secret}${around}`, { detail: `x ${secret} y` });
        return !lines[0].includes(secret) || around.includes(secret) || REDACTED.includes(secret);
      }),
    );
  });
});
