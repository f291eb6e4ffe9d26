import type { PresetData } from './preset';

/**
 * Slack user tokens, "Installing with OAuth" (https://docs.slack.dev/authentication/installing-with-oauth)
 * and oauth.v2.access (https://docs.slack.dev/reference/methods/oauth.v2.access):
 * - user scopes go in `user_scope`, comma-separated;
 * - the user token is nested under `authed_user` (the top level holds the bot token);
 * - errors are `ok: false` + `error` in an HTTP 200, with Slack's own codes (translated below);
 * - refresh tokens exist only with token rotation turned on for the app (12-hour access tokens);
 * - PKCE is opt-in per app and turns it into a public client (changelog 2026-03-30), so it is off
 *   here; an admin who enabled it sets `"pkce": true` in the advanced settings;
 * - revocation: auth.revoke authenticated by the token itself; identity: auth.test → `user`;
 * - Web API errors such as `invalid_auth` arrive in HTTP 200 too (`errorAnswer.tokenRefused` reads them as a 401).
 */
export const slack: PresetData = {
  key: 'slack',
  label: 'Slack',
  docs: 'https://docs.slack.dev/authentication/installing-with-oauth',
  definition: {
    displayName: 'Slack',
    endpoints: {
      authorization: 'https://slack.com/oauth/v2/authorize',
      token: 'https://slack.com/api/oauth.v2.access',
      revocation: 'https://slack.com/api/auth.revoke',
    },
    scopes: { default: ['users:read'], delimiter: ',', param: 'user_scope' },
    clientAuth: 'client_secret_basic',
    pkce: false,
    tokenPath: ['authed_user'],
    errorCodes: {
      invalid_code: 'invalid_grant',
      code_already_used: 'invalid_grant',
      invalid_refresh_token: 'invalid_grant',
      token_revoked: 'invalid_grant',
      token_expired: 'invalid_grant',
      invalid_auth: 'invalid_grant',
      bad_client_secret: 'invalid_client',
      invalid_client_id: 'invalid_client',
      bad_redirect_uri: 'redirect_uri_mismatch',
      invalid_scope: 'invalid_scope',
      invalid_grant_type: 'unsupported_grant_type',
      oauth_authorization_url_mismatch: 'redirect_uri_mismatch',
      ratelimited: 'temporarily_unavailable',
    },
    revocation: { style: 'bearer' },
    profile: { url: 'https://slack.com/api/auth.test', method: 'POST', accountNamePath: 'user' },
    // OAuth and Web API errors alike come as `ok: false` + `error` in an HTTP 200
    // (https://docs.slack.dev/reference/methods/auth.test#errors, oauth.v2.access above); of those,
    // `tokenRefused` say the token itself is refused, as a 401 would elsewhere.
    errorAnswer: {
      flagPath: 'ok',
      flagValue: false,
      codePath: 'error',
      tokenRefused: ['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive'],
    },
    appAccessPage: 'https://slack.com/help/articles/360003125231-Remove-apps-and-custom-integrations-from-your-workspace',
  },
};
