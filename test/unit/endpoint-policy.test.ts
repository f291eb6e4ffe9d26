/**
 * Where provider requests may go (src/core/endpoint-policy.ts): https only, plain http only on
 * loopback with the development switch, no private, loopback, link-local, unique-local, CGNAT,
 * unspecified or metadata host unless the allow-list names it; and the connector applies it to
 * configured and discovered endpoints before sending anything.
 */
import { OAuthConnector } from '../../src/core/connector';
import {
  checkEndpoint,
  checkUserPage,
  enforceEndpointPolicy,
  parseAllowedHosts,
  STRICT_ENDPOINT_POLICY,
  type EndpointPolicy,
} from '../../src/core/endpoint-policy';
import { parseProviderDefinition, type ProviderInput } from '../../src/core/provider';
import { MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';
import { rejectionOf } from '../support/oauth-error';
import { json, RecordingTransport } from '../support/recording-transport';

const strict = STRICT_ENDPOINT_POLICY;
const dev: EndpointPolicy = { allowHttpLoopback: true, allowedHosts: [] };
const allowing = (...allowedHosts: string[]): EndpointPolicy => ({ allowHttpLoopback: false, allowedHosts });
const fixOf = (url: string, policy = strict) => {
  const verdict = checkEndpoint(url, policy);
  return verdict.ok ? 'ok' : verdict.fix;
};
const reasonOf = (url: string, policy = strict) => {
  const verdict = checkEndpoint(url, policy);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('the endpoint policy', () => {
  it('accepts https to public hosts, names and addresses', () => {
    for (const url of [
      'https://github.com/login/oauth/access_token',
      'https://8.8.8.8/x',
      'https://[2606:4700:4700::1111]/x',
      'https://[::ffff:8.8.8.8]/x',
      'https://id.acme.test/token',
      'https://login.microsoftonline.com:443/common/oauth2/v2.0/token',
    ]) {
      expect([url, fixOf(url)]).toEqual([url, 'ok']);
    }
  });

  it('refuses plain http to any host that is not loopback, whatever the policy allows', () => {
    expect(fixOf('http://github.com/x')).toBe('url');
    expect(fixOf('http://10.0.0.5/x', { allowHttpLoopback: true, allowedHosts: ['10.0.0.5'] })).toBe('url');
    expect(reasonOf('http://as.example.com/token')).toMatch(/must be https/);
  });

  it('allows plain http on loopback only with the development switch', () => {
    for (const url of ['http://127.0.0.1:8080/token', 'http://localhost:3001/x', 'http://[::1]/x', 'http://127.8.9.10/x', 'http://app.localhost/x']) {
      expect([url, fixOf(url)]).toEqual([url, 'allowHttpLoopback']);
      expect([url, fixOf(url, dev)]).toEqual([url, 'ok']);
    }
    // The allow-list alone does not allow plain http: that is the development switch's to say.
    expect(fixOf('http://127.0.0.1/x', allowing('127.0.0.1'))).toBe('allowHttpLoopback');
    // Over https, loopback is allowed by the switch or by the allow-list.
    expect(fixOf('https://127.0.0.1/x')).toBe('allowedHosts');
    expect(fixOf('https://127.0.0.1/x', dev)).toBe('ok');
    expect(fixOf('https://127.0.0.1/x', allowing('127.0.0.1'))).toBe('ok');
  });

  it.each([
    ['10.0.0.0/8', 'https://10.1.2.3/'],
    ['172.16.0.0/12', 'https://172.16.0.1/'],
    ['172.16.0.0/12', 'https://172.31.255.255/'],
    ['192.168.0.0/16', 'https://192.168.1.1/'],
    ['127.0.0.0/8', 'https://127.0.0.1/'],
    ['169.254.0.0/16', 'https://169.254.10.20/'],
    ['100.64.0.0/10', 'https://100.64.0.1/'],
    ['100.64.0.0/10', 'https://100.127.255.254/'],
    ['0.0.0.0/8', 'https://0.0.0.0/'],
    ['224.0.0.0/4', 'https://224.0.0.1/'],
    ['240.0.0.0/4', 'https://255.255.255.255/'],
    ['metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['metadata', 'https://169.254.170.2/v2/credentials'],
    ['metadata', 'https://100.100.100.200/latest/meta-data'],
    ['metadata', 'https://192.0.0.192/opc/v2/instance'],
    ['::/128', 'https://[::]/'],
    ['::1/128', 'https://[::1]/'],
    ['fe80::/10', 'https://[fe80::1]/'],
    ['fc00::/7', 'https://[fc00::1]/'],
    ['fc00::/7', 'https://[fd12:3456::1]/'],
    ['metadata', 'https://[fd00:ec2::254]/latest/meta-data/'],
    ['ff00::/8', 'https://[ff02::1]/'],
  ])('refuses %s (%s) unless allowed', (what, url) => {
    expect(fixOf(url)).toBe('allowedHosts');
    expect(reasonOf(url)).toContain(what === 'metadata' ? 'metadata' : `(${what})`);
  });

  it('refuses names that are private by construction: metadata services, localhost, single labels, .local and .internal', () => {
    for (const url of [
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://METADATA.google.internal./computeMetadata/v1/',
      'https://metadata/latest',
      'https://instance-data/latest/meta-data',
      'https://instance-data.ec2.internal/latest',
      'https://localhost/',
      'https://localhost./',
      'https://api.localhost/',
      'https://intranet/',
      'https://printer.local/',
      'https://keycloak.corp.internal/',
      'https://router.home.arpa/',
    ]) {
      expect([url, fixOf(url)]).toEqual([url, 'allowedHosts']);
    }
    expect(reasonOf('https://metadata.google.internal/')).toMatch(/cloud metadata service/);
  });

  it('judges the address the URL parser dials: decimal, hex, octal and short IPv4 forms', () => {
    expect(reasonOf('https://2130706433/')).toMatch(/127\.0\.0\.1, a loopback address/);
    expect(reasonOf('https://0x7f.1/')).toMatch(/127\.0\.0\.1/);
    expect(reasonOf('https://0177.0.0.1/')).toMatch(/127\.0\.0\.1/);
    expect(reasonOf('https://0xa9fea9fe/')).toMatch(/169\.254\.169\.254, a cloud metadata service/);
    expect(reasonOf('https://10.1/')).toMatch(/10\.0\.0\.1, a private address/);
    expect(reasonOf('https://0/')).toMatch(/0\.0\.0\.0/);
    expect(fixOf('http://2130706433/', dev)).toBe('ok');
  });

  it('judges IPv6 addresses that carry an IPv4 address by that address', () => {
    expect(reasonOf('https://[::ffff:10.0.0.1]/')).toMatch(/a private address \(10\.0\.0\.0\/8\)/);
    expect(reasonOf('https://[::ffff:7f00:1]/')).toMatch(/loopback/);
    expect(reasonOf('https://[0:0:0:0:0:ffff:169.254.169.254]/')).toMatch(/metadata/);
    expect(reasonOf('https://[64:ff9b::a9fe:a9fe]/')).toMatch(/NAT64 address carrying a cloud metadata service/);
    expect(reasonOf('https://[2002:c0a8:101::1]/')).toMatch(/6to4 address carrying a private address \(192\.168\.0\.0\/16\)/);
    expect(fixOf('https://[64:ff9b::808:808]/')).toBe('ok');
    expect(fixOf('https://[::ffff:127.0.0.1]/x', dev)).toBe('ok');
    expect(fixOf('http://[::ffff:127.0.0.1]/x', dev)).toBe('ok');
  });

  it('lets the allow-list name a host, an IP literal or a CIDR range, in any spelling', () => {
    expect(fixOf('https://keycloak.corp.internal/realms/x', allowing('keycloak.corp.internal'))).toBe('ok');
    expect(fixOf('https://KEYCLOAK.corp.internal./realms/x', allowing('Keycloak.Corp.Internal'))).toBe('ok');
    expect(fixOf('https://other.corp.internal/', allowing('keycloak.corp.internal'))).toBe('allowedHosts');
    expect(fixOf('https://10.0.0.5/', allowing('10.0.0.5'))).toBe('ok');
    expect(fixOf('https://10.0.0.6/', allowing('10.0.0.5'))).toBe('allowedHosts');
    expect(fixOf('https://10.0.0.6/', allowing('0x0a000006'))).toBe('ok');
    expect(fixOf('https://10.200.3.4/', allowing('10.0.0.0/8'))).toBe('ok');
    expect(fixOf('https://172.20.0.1/', allowing('172.16.0.0/16'))).toBe('allowedHosts');
    expect(fixOf('https://[::ffff:10.9.9.9]/', allowing('10.0.0.0/8'))).toBe('ok');
    expect(fixOf('https://10.9.9.9/', allowing('::ffff:10.0.0.0/104'))).toBe('ok');
    expect(fixOf('https://[fd12::5]/', allowing('fd00::/8'))).toBe('ok');
    expect(fixOf('https://[fd12::5]/', allowing('[fd12::5]'))).toBe('ok');
    expect(fixOf('https://[fe80::5]/', allowing('fd00::/8'))).toBe('allowedHosts');
    // A metadata service too, but only by name: no range is implied.
    expect(fixOf('https://169.254.169.254/', allowing('169.254.169.254'))).toBe('ok');
    // A name does not allow the address it may resolve to, nor the other way round.
    expect(fixOf('https://127.0.0.1/', allowing('localhost'))).toBe('allowedHosts');
  });

  it('reads the allow-list as admins type it, and says which entries are not hosts', () => {
    expect(parseAllowedHosts(' idp.corp.internal, 10.0.0.0/8\nfd00::/8  192.168.1.5;keycloak ')).toEqual({
      allowedHosts: ['idp.corp.internal', '10.0.0.0/8', 'fd00::/8', '192.168.1.5', 'keycloak'],
      invalid: [],
    });
    expect(parseAllowedHosts('10.0.0.0/33, fd00::/129, idp:8443, *.corp.internal, https://idp/x, user@idp, 10.0.0.0/x').invalid).toEqual([
      '10.0.0.0/33',
      'fd00::/129',
      'idp:8443',
      '*.corp.internal',
      'https://idp/x',
      'user@idp',
      '10.0.0.0/x',
    ]);
    expect(parseAllowedHosts('')).toEqual({ allowedHosts: [], invalid: [] });
  });

  it('holds a page users are sent to (not requested by the app) to the scheme rule only', () => {
    expect(checkUserPage('https://10.0.0.5/-/user_settings/applications', strict)).toEqual({ ok: true });
    expect(checkUserPage('http://git.example.com/apps', strict)).toMatchObject({ ok: false, fix: 'url' });
    expect(checkUserPage('http://localhost:8080/apps', strict)).toMatchObject({ ok: false, fix: 'allowHttpLoopback' });
    expect(checkUserPage('http://localhost:8080/apps', dev)).toEqual({ ok: true });
  });

  it('is not fooled by what is not a URL', () => {
    expect(fixOf('not a url')).toBe('url');
    expect(fixOf('ftp://example.com/x')).toBe('url');
    expect(fixOf('file:///etc/passwd')).toBe('url');
  });
});

describe('a provider under the policy', () => {
  const definition = (input: Partial<ProviderInput>) =>
    parseProviderDefinition({
      id: 'acme',
      displayName: 'Acme',
      endpoints: { authorization: 'https://id.acme.test/authorize', token: 'https://id.acme.test/token' },
      ...input,
    });

  it('is refused with an invalid_configuration error whose field says what to change', () => {
    const error = (input: Partial<ProviderInput>, policy = strict) => {
      try {
        enforceEndpointPolicy(definition(input), policy);
      } catch (e) {
        return e as { kind: string; field?: string; message: string };
      }
      return undefined;
    };
    expect(error({ endpoints: { authorization: 'https://id.acme.test/a', token: 'http://id.acme.test/t' } })).toMatchObject({
      kind: 'invalid_configuration',
      field: 'endpoints.token',
      message: expect.stringMatching(/^Provider "acme": endpoints\.token uses plain http/),
    });
    expect(
      error({ endpoints: { authorization: 'https://id.acme.test/a', token: 'https://id.acme.test/t', revocation: 'https://10.0.0.9/revoke' } }),
    ).toMatchObject({
      field: 'allowedHosts',
      message: expect.stringMatching(
        /endpoints\.revocation goes to 10\.0\.0\.9, a private address \(10\.0\.0\.0\/8\): the app calls it only if the allowed hosts/,
      ),
    });
    expect(error({ endpoints: { authorization: 'http://127.0.0.1:9/a', token: 'http://127.0.0.1:9/t' } })).toMatchObject({
      field: 'allowHttpLoopback',
      message: expect.stringMatching(/endpoints\.authorization uses plain http on the loopback host 127\.0\.0\.1: allowed only for development/),
    });
    expect(error({ endpoints: { authorization: 'http://127.0.0.1:9/a', token: 'http://127.0.0.1:9/t' } }, dev)).toBeUndefined();
    expect(error({ profile: { url: 'https://metadata.google.internal/x', accountNamePath: 'login' } })).toMatchObject({
      field: 'allowedHosts',
      message: expect.stringMatching(/profile\.url/),
    });
    expect(error({ issuer: 'https://192.168.0.10/realms/x', discovery: 'openid', endpoints: {} })).toMatchObject({
      field: 'allowedHosts',
      message: expect.stringMatching(/issuer goes to 192\.168\.0\.10/),
    });
  });
});

describe('the connector applies the policy', () => {
  const client = { clientId: 'client-1', clientSecret: 'the-client-secret', redirectUri: 'https://chat.example.com/cb' };
  const metadata = { issuer: 'https://id.acme.test', authorization_endpoint: 'https://id.acme.test/authorize', token_endpoint: 'https://10.0.0.8/token' };

  function connectorWith(input: Partial<ProviderInput>, endpointPolicy?: EndpointPolicy) {
    const definition = parseProviderDefinition({ id: 'acme', displayName: 'Acme', ...input });
    const transport = new RecordingTransport();
    const connector = new OAuthConnector({
      providers: { get: async (id) => (id === 'acme' ? { definition, client } : undefined) },
      transport,
      tokens: new MemoryTokenStore(),
      states: new MemoryStateStore(),
      clock: { now: () => 1_700_000_000_000 },
      endpointPolicy,
    });
    return { connector, transport };
  }

  it('refuses a discovered endpoint on a private address before anyone is sent anywhere', async () => {
    const { connector, transport } = connectorWith({ issuer: 'https://id.acme.test', discovery: 'openid' });
    transport.answer(json(metadata));
    const error = await rejectionOf(connector.beginAuthorization('user-1', 'acme'));
    expect(error).toMatchObject({ kind: 'invalid_configuration', field: 'allowedHosts', providerId: 'acme' });
    expect(error.message).toMatch(/endpoints\.token \(from the discovery document of https:\/\/id\.acme\.test\) goes to 10\.0\.0\.8, a private address/);
    // Only the metadata was fetched.
    expect(transport.requests.map((r) => r.url)).toEqual(['https://id.acme.test/.well-known/openid-configuration']);
  });

  it('uses the discovered endpoint when the allow-list names its range', async () => {
    const { connector, transport } = connectorWith(
      { issuer: 'https://id.acme.test', discovery: 'openid' },
      { allowHttpLoopback: false, allowedHosts: ['10.0.0.0/24'] },
    );
    transport.answer(json(metadata));
    const { provider } = await connector.provider('acme');
    expect(provider.endpoints.token).toBe('https://10.0.0.8/token');
  });

  it('refuses an issuer on a metadata address without requesting its discovery document', async () => {
    const { connector, transport } = connectorWith({ issuer: 'https://169.254.169.254', discovery: 'oauth' });
    const error = await rejectionOf(connector.provider('acme'));
    expect(error).toMatchObject({ kind: 'invalid_configuration', field: 'allowedHosts' });
    expect(transport.requests).toEqual([]);
  });

  it('is strict by default: a plain-http loopback provider needs the development switch', async () => {
    const endpoints = { authorization: 'http://127.0.0.1:9/authorize', token: 'http://127.0.0.1:9/token' };
    expect(await rejectionOf(connectorWith({ endpoints }).connector.provider('acme'))).toMatchObject({ field: 'allowHttpLoopback' });
    await expect(connectorWith({ endpoints }, { allowHttpLoopback: true, allowedHosts: [] }).connector.provider('acme')).resolves.toBeDefined();
  });
});
