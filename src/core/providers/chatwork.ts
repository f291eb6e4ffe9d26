import type { PresetData } from './preset';

/**
 * Chatwork, "OAuth 2.0" (https://developer.chatwork.com/docs/oauth):
 * - the consent page is https://www.chatwork.com/packages/oauth2/login.php, the token endpoint
 *   https://oauth.chatwork.com/token;
 * - the client authenticates with HTTP Basic, and redirect_uri is sent at the token exchange;
 * - `offline_access` for a refresh token (confidential clients);
 * - the account name: `name` of GET https://api.chatwork.com/v2/me (https://developer.chatwork.com/reference/get-me).
 */
export const chatwork: PresetData = {
  key: 'chatwork',
  label: 'Chatwork',
  docs: 'https://developer.chatwork.com/docs/oauth',
  definition: {
    displayName: 'Chatwork',
    endpoints: {
      authorization: 'https://www.chatwork.com/packages/oauth2/login.php',
      token: 'https://oauth.chatwork.com/token',
    },
    scopes: { default: ['users.profile.me:read', 'offline_access'] },
    clientAuth: 'client_secret_basic',
    redirectUriAtTokenExchange: true,
    // Not OpenID Connect: `offline_access` alone gives a refresh token, no prompt parameter is documented.
    consentForOfflineAccess: false,
    profile: { url: 'https://api.chatwork.com/v2/me', accountNamePath: 'name' },
  },
};
