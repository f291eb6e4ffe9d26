import { MetadataCache, oauthMetadataUrl, openidConfigurationUrl } from '../../src/core/discovery';
import { parseProviderDefinition } from '../../src/core/provider';
import { json, RecordingTransport } from '../support/recording-transport';

const metadata = {
  issuer: 'https://as.example.com/tenant1',
  authorization_endpoint: 'https://as.example.com/tenant1/authorize',
  token_endpoint: 'https://as.example.com/tenant1/token',
  revocation_endpoint: 'https://as.example.com/tenant1/revoke',
};
const definition = parseProviderDefinition({ id: 'as', displayName: 'AS', issuer: 'https://as.example.com/tenant1', discovery: 'oauth' });

describe('authorization server metadata', () => {
  it('builds the well-known URLs as OIDC Discovery §4.1 and RFC 8414 §3.1 place them', () => {
    expect(openidConfigurationUrl('https://id.example.com/realms/x/')).toBe('https://id.example.com/realms/x/.well-known/openid-configuration');
    expect(oauthMetadataUrl('https://as.example.com/tenant1')).toBe('https://as.example.com/.well-known/oauth-authorization-server/tenant1');
    expect(oauthMetadataUrl('https://as.example.com/')).toBe('https://as.example.com/.well-known/oauth-authorization-server');
  });

  it('resolves endpoints from RFC 8414 metadata, explicit endpoints winning', async () => {
    const transport = new RecordingTransport().answer(json(metadata));
    const withUserinfo = { ...definition, endpoints: { userinfo: 'https://api.example.com/me' } };
    const resolved = await new MetadataCache(transport).resolve(withUserinfo);
    expect(transport.last.url).toBe('https://as.example.com/.well-known/oauth-authorization-server/tenant1');
    expect(resolved.endpoints).toEqual({
      ...{ authorization: metadata.authorization_endpoint, token: metadata.token_endpoint, revocation: metadata.revocation_endpoint },
      userinfo: 'https://api.example.com/me',
    });
    expect(resolved.issParameterRequired).toBe(false);
  });

  it('says to check the issuer URL when there is no metadata, and does not cache the failure', async () => {
    const transport = new RecordingTransport().answer({ status: 404, body: 'not found' }, json(metadata));
    const cache = new MetadataCache(transport);
    await expect(cache.resolve(definition)).rejects.toMatchObject({ kind: 'provider_misconfigured', message: expect.stringMatching(/check the issuer URL/) });
    await expect(cache.resolve(definition)).resolves.toMatchObject({ issuer: metadata.issuer });
    expect(transport.requests).toHaveLength(2);
  });

  // Where they point (https, no private host) is the endpoint policy's to judge: endpoint-policy.test.ts.
  it('refuses metadata whose endpoints are not absolute URLs', async () => {
    const transport = new RecordingTransport().answer(json({ ...metadata, token_endpoint: '/tenant1/token' }));
    await expect(new MetadataCache(transport).resolve(definition)).rejects.toMatchObject({
      kind: 'invalid_response',
      message: expect.stringMatching(/token_endpoint/),
    });
  });

  it("ages its entries on the caller's clock, so a cache shared by a process follows each connector's time", async () => {
    const transport = new RecordingTransport(json(metadata));
    const cache = new MetadataCache(transport, { ttlMs: 60_000 });
    const at = (now: number) => ({ now: () => now });
    await cache.resolve(definition, transport, at(1_000));
    await cache.resolve(definition, transport, at(60_000));
    expect(transport.requests).toHaveLength(1);
    await cache.resolve(definition, transport, at(61_000));
    expect(transport.requests).toHaveLength(2);
  });

  it('discovers an issuer once for concurrent first callers', async () => {
    const transport = new RecordingTransport(json(metadata));
    const cache = new MetadataCache(transport);
    await Promise.all([cache.resolve(definition), cache.resolve(definition), cache.resolve(definition)]);
    expect(transport.requests).toHaveLength(1);
  });
});
