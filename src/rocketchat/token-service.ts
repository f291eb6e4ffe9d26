/**
 * For the app's own commands: the one way to get a user's token for a provider. Refreshes before
 * expiry (single flight within the app's process), and `request` retries once after a 401 with a
 * refreshed token. Failures are OAuthErrors; `messageForError` turns them into what to tell the user.
 *
 *   const tokens = await OAuthTokenService.forRequest({ app: this.app, read, http, persis });
 *   const response = await tokens.request(user, 'github', { method: 'GET', url: 'https://api.github.com/user/repos', headers: {} });
 */
import type { IHttp, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApp } from '@rocket.chat/apps-engine/definition/IApp';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';
import type { OAuthConnector } from '../core/connector';
import type { HttpRequest, HttpResponse } from '../core/ports';
import { loadConfiguration } from './configuration';
import { connectorFor } from './connector';

export class OAuthTokenService {
  constructor(private readonly connector: OAuthConnector) {}

  static async forRequest(args: { app: IApp; read: IRead; http: IHttp; persis: IPersistence }): Promise<OAuthTokenService> {
    const config = await loadConfiguration(args.read.getEnvironmentReader(), args.app.getID());
    return new OAuthTokenService(connectorFor({ config, read: args.read, http: args.http, persis: args.persis, logger: args.app.getLogger() }));
  }

  /** A valid access token of this user for this provider (throws `not_connected`, `reconnect_required`, …). */
  getAccessToken(user: IUser | string, providerId: string): Promise<string> {
    return this.connector.getAccessToken(userIdOf(user), providerId);
  }

  /** The request with `Authorization: Bearer <token>`, retried once after a 401 with a refreshed token. */
  request(user: IUser | string, providerId: string, request: HttpRequest): Promise<HttpResponse> {
    return this.connector.authorizedRequest(userIdOf(user), providerId, request);
  }
}

function userIdOf(user: IUser | string): string {
  return typeof user === 'string' ? user : user.id;
}
