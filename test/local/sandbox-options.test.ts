/** `npm start`'s options: which --host values are loopback, and the warning for the others. */
import { isLoopbackHost, openHostWarning, parseOptions } from '../../tools/sandbox/options';

describe('--host', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])(
    '%s is loopback: no warning',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
      expect(openHostWarning(host)).toBeUndefined();
    },
  );

  it.each(['0.0.0.0', '::', '', '192.168.1.10', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', 'fe80::1', 'my-laptop.local', 'localhost.example.com'])(
    '%p is beyond loopback: a warning that the page has no login',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
      expect(openHostWarning(host)).toMatch(
        /is reachable from other machines, and the chat page has no login: anyone who can reach it can act as any chat user/,
      );
    },
  );

  it('names what was asked for, and all interfaces for an empty host', () => {
    expect(openHostWarning('0.0.0.0')).toContain('--host 0.0.0.0 ');
    expect(openHostWarning('')).toContain('--host (all interfaces) ');
  });

  it('defaults to loopback', () => {
    const options = parseOptions([], {}, '/tmp');
    expect(options !== 'help' && options.host).toBe('127.0.0.1');
    expect(openHostWarning('127.0.0.1')).toBeUndefined();
  });
});
