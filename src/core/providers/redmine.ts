import type { PresetData } from './preset';

/**
 * Redmine 6.1 or later (built-in OAuth 2 provider, Doorkeeper; https://www.redmine.org/issues/24808) and Planio
 * (https://plan.io/redmine-api-oauth2/), under the site URL:
 * - /oauth/authorize, /oauth/token, /oauth/revoke (Doorkeeper's routes);
 * - scopes are Redmine permission names (`view_issues`, `add_issues`, …), space-separated;
 * - the account name: `user.login` of GET /users/current.json (https://www.redmine.org/projects/redmine/wiki/Rest_Users).
 * The out-of-band redirect (urn:ietf:wg:oauth:2.0:oob) is not used: the app has a real redirect URI.
 */
export const redmine: PresetData = {
  key: 'redmine',
  label: 'Redmine / Planio',
  docs: 'https://www.redmine.org/issues/24808',
  needs: 'site',
  // The site URL, required: there is no default instance.
  parameter: { format: 'baseUrl' },
  definition: {
    displayName: 'Redmine',
    endpoints: {
      authorization: '{site}/oauth/authorize',
      token: '{site}/oauth/token',
      revocation: '{site}/oauth/revoke',
    },
    scopes: { default: ['view_issues'] },
    clientAuth: 'client_secret_basic',
    profile: { url: '{site}/users/current.json', accountNamePath: 'user.login' },
    // My account → Authorized applications (Redmine 6.1, app/views/my/account.html.erb).
    appAccessPage: '{site}/oauth/authorized_applications',
  },
};
