import type { PresetData } from './preset';

/**
 * Dropbox, "OAuth Guide" (https://developers.dropbox.com/oauth-guide) and
 * https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token:
 * - a refresh token only with `token_access_type=offline`; access tokens live 4 hours;
 * - revocation is POST /2/auth/token/revoke authenticated by the access token itself, no body
 *   (https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke);
 * - the account: POST /2/users/get_current_account, no arguments → `name.display_name`.
 */
export const dropbox: PresetData = {
  key: 'dropbox',
  label: 'Dropbox',
  docs: 'https://developers.dropbox.com/oauth-guide',
  definition: {
    displayName: 'Dropbox',
    endpoints: {
      authorization: 'https://www.dropbox.com/oauth2/authorize',
      token: 'https://api.dropboxapi.com/oauth2/token',
      revocation: 'https://api.dropboxapi.com/2/auth/token/revoke',
    },
    scopes: { default: ['account_info.read'] },
    clientAuth: 'client_secret_basic',
    authorizationParams: { token_access_type: 'offline' },
    // Revoking the access token disables its refresh token too (auth-token-revoke, above).
    revocation: { style: 'bearer', revokesGrant: true },
    profile: { url: 'https://api.dropboxapi.com/2/users/get_current_account', method: 'POST', accountNamePath: 'name.display_name' },
    appAccessPage: 'https://www.dropbox.com/account/connected_apps',
  },
};
