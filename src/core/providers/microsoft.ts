import type { PresetData } from './preset';

/**
 * Microsoft identity platform (Entra ID) v2.0, "OAuth 2.0 authorization code flow":
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
 * - the tenant is part of the URL: a tenant ID (GUID), a verified domain, or common /
 *   organizations / consumers;
 * - a refresh token only with the `offline_access` scope;
 * - no token revocation endpoint for clients (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens):
 *   disconnecting deletes the local tokens only;
 * - the account name: `userPrincipalName` of Microsoft Graph GET /v1.0/me.
 */
export const microsoft: PresetData = {
  key: 'microsoft',
  label: 'Microsoft (Entra ID)',
  docs: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  needs: 'tenant',
  // A tenant ID (GUID), a verified domain, or common / organizations / consumers; empty: common.
  // Checked before it goes into the URLs: a `/`, `?` or space would change where they point.
  parameter: {
    format: 'name',
    pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/,
    expected: 'a tenant ID, a domain, or common / organizations / consumers',
    default: 'common',
  },
  definition: {
    displayName: 'Microsoft',
    endpoints: {
      authorization: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
      token: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    },
    // The token answer lists only the resource's permissions, never the OpenID Connect scopes
    // (https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc).
    scopes: {
      default: ['openid', 'profile', 'email', 'offline_access', 'User.Read'],
      unreported: ['openid', 'profile', 'email', 'offline_access'],
      reportedAs: { 'User.Read': 'https://graph.microsoft.com/User.Read' },
    },
    clientAuth: 'client_secret_post',
    // Entra issues refresh tokens for offline_access alone, and a forced prompt=consent fails for
    // users whose tenant does not let them consent (see consentForOfflineAccess).
    consentForOfflineAccess: false,
    profile: { url: 'https://graph.microsoft.com/v1.0/me', accountNamePath: 'userPrincipalName' },
    // Work and school accounts: My Apps → Manage your application → Revoke permissions
    // (https://support.microsoft.com/en-us/account-billing/edit-or-revoke-application-permissions-in-the-my-apps-portal-169be2b4-ee26-4338-aea8-d19bb2f329ee).
    appAccessPage: 'https://myapps.microsoft.com',
  },
};
