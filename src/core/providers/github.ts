import type { PresetData } from './preset';

/**
 * GitHub OAuth apps, "Authorizing OAuth apps":
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * - the token endpoint answers form-encoded unless `Accept: application/json` (the core always asks
 *   for JSON and reads both), and answers errors with HTTP 200 (`bad_verification_code`, …);
 * - granted scopes come back comma-separated (the core splits on commas too);
 * - PKCE S256 since 2025-07-14 (github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication);
 * - no RFC 7009 endpoint: DELETE /applications/{client_id}/token with Basic client credentials
 *   (https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token);
 * - OAuth app tokens do not expire and come without refresh token.
 */
export const github: PresetData = {
  key: 'github',
  label: 'GitHub',
  docs: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  definition: {
    displayName: 'GitHub',
    endpoints: {
      authorization: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      revocation: 'https://api.github.com/applications/{client_id}/token',
    },
    // A GitHub App's user token answers `scope: ""` always: it has permissions, not scopes
    // (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
    scopes: { default: ['read:user'], emptyMeansUnlisted: true },
    clientAuth: 'client_secret_post',
    errorCodes: {
      bad_verification_code: 'invalid_grant',
      bad_refresh_token: 'invalid_grant',
      incorrect_client_credentials: 'invalid_client',
      redirect_uri_mismatch: 'redirect_uri_mismatch',
    },
    // "Delete an app token": DELETE with the OAuth app's client id in the path, its id and secret as
    // Basic credentials, and the token in a JSON body (the REST API's media type asked for).
    revocation: {
      style: 'request',
      request: {
        method: 'DELETE',
        tokens: ['access_token'],
        clientAuth: 'basic',
        headers: { accept: 'application/vnd.github+json' },
        body: { format: 'json', fields: { access_token: '{token}' } },
      },
    },
    profile: { url: 'https://api.github.com/user', accountNamePath: 'login' },
  },
};
