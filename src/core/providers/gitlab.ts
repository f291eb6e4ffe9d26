import type { PresetData } from './preset';

/**
 * GitLab (gitlab.com or a self-managed instance), "OAuth 2.0 identity provider API":
 * https://docs.gitlab.com/api/oauth2/
 * - endpoints under the instance URL; PKCE S256; client credentials in the body as documented;
 * - redirect_uri is sent on refresh too, as the documented refresh request does;
 * - refreshing rotates both tokens (the old refresh token stops working);
 * - the account name: `username` of GET /api/v4/user (https://docs.gitlab.com/api/users/#get-the-current-user).
 */
export const gitlab: PresetData = {
  key: 'gitlab',
  label: 'GitLab',
  docs: 'https://docs.gitlab.com/api/oauth2/',
  needs: 'site',
  // The instance URL; empty means gitlab.com.
  parameter: { format: 'baseUrl', default: 'https://gitlab.com' },
  definition: {
    displayName: 'GitLab',
    endpoints: {
      authorization: '{site}/oauth/authorize',
      token: '{site}/oauth/token',
      revocation: '{site}/oauth/revoke',
    },
    scopes: { default: ['read_user'] },
    clientAuth: 'client_secret_post',
    redirectUriAtRefresh: true,
    profile: { url: '{site}/api/v4/user', accountNamePath: 'username' },
    // "Authorized applications" (https://docs.gitlab.com/integration/oauth_provider/#view-all-authorized-applications).
    appAccessPage: '{site}/-/user_settings/applications',
  },
};
