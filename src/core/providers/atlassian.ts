import type { PresetData } from './preset';

/**
 * Atlassian Cloud, "OAuth 2.0 (3LO) apps":
 * https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 * - `audience=api.atlassian.com` and `prompt=consent` on the authorization request;
 * - `offline_access` for a refresh token; refresh tokens rotate (reuse of an old one outside a
 *   short leeway invalidates the family): the getter's single flight matters here most;
 * - the token request is documented with a JSON body;
 * - no revocation endpoint is documented: disconnecting deletes the local tokens only;
 * - the account name: `email` of GET https://api.atlassian.com/me (scope read:me).
 */
export const atlassian: PresetData = {
  key: 'atlassian',
  label: 'Atlassian (Jira, Confluence)',
  docs: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  definition: {
    displayName: 'Atlassian',
    endpoints: {
      authorization: 'https://auth.atlassian.com/authorize',
      token: 'https://auth.atlassian.com/oauth/token',
    },
    scopes: { default: ['read:me', 'offline_access'] },
    clientAuth: 'client_secret_post',
    tokenRequestFormat: 'json',
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    profile: { url: 'https://api.atlassian.com/me', accountNamePath: 'email' },
    // Each user's "Connected apps" screen (https://support.atlassian.com/security-and-access-policies/docs/manage-your-users-third-party-apps/).
    appAccessPage: 'https://id.atlassian.com/manage-profile/apps',
  },
};
