/**
 * The built-in sample's connection for the bench's user, stored the way the built-in client stores
 * one (server/oauth2/OAuth2Client.js in @rocket.chat/apps-engine 1.62.0, `saveToken`): one record
 * under USER(<user id>) + MISC(`<alias>-oauth-connection`) holding `{ scope, token, expiresAt,
 * refreshToken }`, where `expiresAt` is the provider's `expires_in` as it came.
 *
 * Written by the bench rather than by the client's own callback, because the built-in client cannot
 * complete a flow at the bench's provider, oidc-provider as the project's tests run it: that server
 * requires PKCE of every client and reads client credentials from the Authorization header or the
 * form body, while the built-in client sends no PKCE (the authorization request is refused) and
 * puts `client_id` and `client_secret` in the token request's query string (it would be refused as
 * well, and the client would then store `token: undefined` and show its success page). What the
 * bench measures of it, `getAccessTokenForUser`, only reads this record.
 */
import { randomBytes } from 'node:crypto';

import type { AppsEngineHarness } from '../tools/harness';

/** The shape of an opaque oidc-provider token: 32 random bytes, base64url (43 characters). */
const opaqueToken = (): string => randomBytes(32).toString('base64url');

export function storeBuiltinConnection(harness: AppsEngineHarness, appId: string, alias: string, userId: string): void {
  harness.seedRecord(
    appId,
    [
      { model: 'user', id: userId },
      { model: 'misc', id: `${alias}-oauth-connection` },
    ],
    { scope: 'openid profile email', token: opaqueToken(), expiresAt: 3600, refreshToken: opaqueToken() },
  );
}
