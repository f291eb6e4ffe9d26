import type { PresetData } from './preset';

/**
 * Asana, "OAuth" (https://developers.asana.com/docs/oauth):
 * - https://app.asana.com/-/oauth_authorize, -/oauth_token, -/oauth_revoke;
 * - client credentials in the form body (older docs put them in the query string; the core's
 *   `client_secret_query` exists for such servers, marked weaker); PKCE S256;
 * - revocation: -/oauth_revoke with the refresh token only; it ends the grant's access tokens too;
 * - apps registered with specific scopes must name them (admins set e.g. `users:read`); apps with
 *   "Full permissions" must not, so the preset asks for none;
 * - the account name: `data.name` of GET /api/1.0/users/me (https://developers.asana.com/reference/getuser).
 */
export const asana: PresetData = {
  key: 'asana',
  label: 'Asana',
  docs: 'https://developers.asana.com/docs/oauth',
  definition: {
    displayName: 'Asana',
    endpoints: {
      authorization: 'https://app.asana.com/-/oauth_authorize',
      token: 'https://app.asana.com/-/oauth_token',
      revocation: 'https://app.asana.com/-/oauth_revoke',
    },
    clientAuth: 'client_secret_post',
    // -/oauth_revoke takes the refresh token only (access tokens are refused with a 400), and
    // revoking it ends the access tokens it issued.
    revocation: { style: 'rfc7009', revokesGrant: true },
    profile: { url: 'https://app.asana.com/api/1.0/users/me', accountNamePath: 'data.name' },
  },
};
