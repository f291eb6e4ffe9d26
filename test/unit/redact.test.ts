import fc from 'fast-check';
import { OAuthError } from '../../src/core/errors';
import { REDACTED, redactingLogger, redactStructured, redactText, redactValue } from '../../src/core/redact';

describe('redaction', () => {
  it('masks credentials in URLs and form bodies even when their values are unknown', () => {
    const text =
      'GET https://chat.test/complete?code=abc123&state=s-789&iss=https%3A%2F%2Fid and body grant_type=refresh_token&refresh_token=r-456&client_secret=zzz';
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
    const value = redactValue({
      tokens: { accessToken: 'a', refreshToken: 'b', scopes: ['read'] },
      clientSecret: 'c',
      nested: [new Error('failed with code=xyz')],
    });
    expect(value).toEqual({
      tokens: { accessToken: REDACTED, refreshToken: REDACTED, scopes: ['read'] },
      clientSecret: REDACTED,
      nested: [{ name: 'Error', message: `failed with code=${REDACTED}` }],
    });
  });

  it("redacts an error's cause like the error itself", () => {
    const inner = new Error('refused token=abc');
    const outer = new OAuthError('provider_unavailable', 'The token endpoint of acme could not be reached', {}, { cause: inner });
    expect(redactValue(outer)).toEqual({
      name: 'OAuthError',
      message: 'The token endpoint of acme could not be reached',
      cause: { name: 'Error', message: `refused token=${REDACTED}` },
    });
  });

  it('masks Cookie, Set-Cookie and Authorization headers whatever their case, and keeps the other headers', () => {
    const value = redactValue({
      headers: { Cookie: 'sid=abc', 'set-cookie': ['a=1', 'b=2'], 'Proxy-Authorization': 'Basic eHk=', authorization: 'Bearer xyz', 'user-agent': 'curl/8' },
    });
    expect(value).toEqual({
      headers: { Cookie: REDACTED, 'set-cookie': REDACTED, 'Proxy-Authorization': REDACTED, authorization: REDACTED, 'user-agent': 'curl/8' },
    });
  });

  it('redacts a logged request structurally: query, body and headers, JSON texts included', () => {
    const request = {
      method: 'post',
      headers: { cookie: 'sid=abc', host: 'chat.test' },
      query: { code: 'c-1', state: 's-2', iss: 'https://id' },
      content: { code_verifier: 'v-3', grant_type: 'authorization_code' },
    };
    const expected = {
      method: 'post',
      headers: { cookie: REDACTED, host: 'chat.test' },
      query: { code: REDACTED, state: REDACTED, iss: 'https://id' },
      content: { code_verifier: REDACTED, grant_type: 'authorization_code' },
    };
    expect(redactStructured(request)).toEqual(expected);
    // A runtime that logs an error writes it as a JSON text: parsed, redacted, written back.
    expect(JSON.parse(redactStructured(JSON.stringify(request), { parseJsonStrings: true }) as string)).toEqual(expected);
    expect(redactStructured('{not json, code=c-1', { parseJsonStrings: true })).toBe(`{not json, code=${REDACTED}`);
  });

  it("masks the members the caller names as secret, such as a password setting's value", () => {
    const secretMembers = (object: Readonly<Record<string, unknown>>) => (object.id === 'client_secret_setting' ? ['value', 'packageValue'] : []);
    const value = redactStructured(
      {
        result: [
          { id: 'client_secret_setting', type: 'password', value: 'p4ss', packageValue: 'd3fault' },
          { id: 'site', value: 'https://id' },
        ],
      },
      { secretMembers },
    );
    expect(value).toEqual({
      result: [
        { id: 'client_secret_setting', type: 'password', value: REDACTED, packageValue: REDACTED },
        { id: 'site', value: 'https://id' },
      ],
    });
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
