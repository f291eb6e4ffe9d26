import type { PresetData } from './preset';

/**
 * Any OAuth 2.0 server whose endpoints the admin gives in the advanced JSON (RFC 6749), for
 * example `{"endpoints": {"authorization": "…", "token": "…"}, "clientAuth": "client_secret_post"}`.
 */
export const customOAuth2: PresetData = {
  key: 'custom',
  label: 'Custom OAuth 2.0',
  docs: 'https://www.rfc-editor.org/rfc/rfc6749',
  needs: 'endpoints',
  // Everything else comes from the advanced JSON; the name shown comes from the id unless the admin gives one.
  definition: {},
};

/**
 * Any OpenID Connect provider (Keycloak, Okta, Auth0, Authentik, …), endpoints discovered from
 * its issuer (OpenID Connect Discovery 1.0 §4); `iss` on responses checked (RFC 9207).
 */
export const openidConnect: PresetData = {
  key: 'oidc',
  label: 'OpenID Connect (by issuer)',
  docs: 'https://openid.net/specs/openid-connect-discovery-1_0.html',
  needs: 'issuer',
  // The issuer URL, required (a base URL: discovery appends its well-known path, OpenID Connect Discovery 1.0 §4.1).
  parameter: { format: 'baseUrl' },
  definition: {
    issuer: '{issuer}',
    discovery: 'openid',
    scopes: { default: ['openid', 'profile', 'email', 'offline_access'] },
    profile: { accountNamePath: 'preferred_username' },
  },
};
