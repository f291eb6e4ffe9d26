import type { PresetData } from './preset';

/**
 * Google, "Using OAuth 2.0 for Web Server Applications":
 * https://developers.google.com/identity/protocols/oauth2/web-server
 * - a refresh token only with `access_type=offline`, and again after the first consent only with
 *   `prompt=consent` (otherwise a reconnect yields no refresh token);
 * - revocation: POST https://oauth2.googleapis.com/revoke with `token` (RFC 7009 shape); revoking
 *   one token of a grant revokes the other (#tokenrevoke), and a second call for it answers 400;
 * - userinfo: https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo
 */
export const google: PresetData = {
  key: 'google',
  label: 'Google',
  docs: 'https://developers.google.com/identity/protocols/oauth2/web-server',
  definition: {
    displayName: 'Google',
    issuer: 'https://accounts.google.com',
    endpoints: {
      authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      revocation: 'https://oauth2.googleapis.com/revoke',
      userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
    },
    // The token answer names `email` and `profile` by their URLs (https://developers.google.com/identity/protocols/oauth2/scopes).
    scopes: {
      default: ['openid', 'email', 'profile'],
      reportedAs: { email: 'https://www.googleapis.com/auth/userinfo.email', profile: 'https://www.googleapis.com/auth/userinfo.profile' },
    },
    clientAuth: 'client_secret_post',
    authorizationParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    revocation: { style: 'rfc7009', revokesGrant: true },
    // "Manage connections between your Google Account and third parties" (https://support.google.com/accounts/answer/13533235).
    appAccessPage: 'https://myaccount.google.com/connections',
    profile: { accountNamePath: 'email' },
  },
};
