/**
 * `complete`: the provider's redirect target, the same for every provider. The behaviour is the app
 * layer's (src/app/callback-flow.ts).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { completeConnect } from '../../app/callback-flow';
import { answer, PAGE_HEADERS } from '../../app/web/pages';
import { engineAppRequest } from '../app-context';
import { COMPLETE_PATH } from '../configuration';
import { PublicEndpoint } from './public-endpoint';
import { apiResponseOf, webRequestOf } from './web-exchange';

export class CompleteEndpoint extends PublicEndpoint {
  override path = COMPLETE_PATH;

  async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse> {
    const app = await engineAppRequest({ appId: this.app.getID(), read, modify, http, persis, logger: this.app.getLogger() });
    return apiResponseOf(await completeConnect(app, webRequestOf(request)));
  }

  /**
   * HEAD is a safe method (RFC 9110 §9.2.1): a link checker's HEAD must not spend the state a GET
   * would. It answers the headers of the page without reading the query.
   */
  override async head(): Promise<IApiResponse> {
    return apiResponseOf(answer({ status: 200, headers: PAGE_HEADERS, body: '' }));
  }
}
