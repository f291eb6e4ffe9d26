/**
 * `connect`: what the Connect button opens. GET shows the confirmation page, POST (its button)
 * starts the authorization; the behaviour is the app layer's (src/app/connect-flow.ts).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { confirmConnect, showConnectPage } from '../../app/connect-flow';
import { engineAppRequest } from '../app-context';
import { CONNECT_PATH } from '../configuration';
import { PublicEndpoint } from './public-endpoint';
import { apiResponseOf, webRequestOf } from './web-exchange';

export class ConnectEndpoint extends PublicEndpoint {
  override path = CONNECT_PATH;
  protected override readonly alsoServes: Array<'POST'> = ['POST'];

  async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse> {
    const app = await engineAppRequest({ appId: this.app.getID(), read, modify, http, persis, logger: this.app.getLogger() });
    return apiResponseOf(await showConnectPage(app, webRequestOf(request)));
  }

  override async post(
    request: IApiRequest,
    _endpoint: IApiEndpointInfo,
    read: IRead,
    modify: IModify,
    http: IHttp,
    persis: IPersistence,
  ): Promise<IApiResponse> {
    const app = await engineAppRequest({ appId: this.app.getID(), read, modify, http, persis, logger: this.app.getLogger() });
    return apiResponseOf(await confirmConnect(app, webRequestOf(request)));
  }
}
