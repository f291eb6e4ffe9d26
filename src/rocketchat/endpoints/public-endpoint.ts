/**
 * An app endpoint that answers every HTTP method deliberately. Rocket.Chat routes to an app only the
 * methods its endpoint object implements and answers the others with a 500 carrying the engine's
 * own message ("<path>'s post not exists"); so every method is implemented here: the ones an
 * endpoint serves by the subclass, HEAD as GET without a body, OPTIONS with `Allow`, and the rest
 * 405 with `Allow` (RFC 9110 §9.3.2, §9.3.7, §15.5.6).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, type IApiEndpointInfo, type IApiRequest, type IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { answer, methodNotAllowed, PAGE_HEADERS } from '../../app/web/pages';
import { apiResponseOf } from './web-exchange';

type Handler = (request: IApiRequest, endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persis: IPersistence) => Promise<IApiResponse>;

export abstract class PublicEndpoint extends ApiEndpoint {
  /** The methods the subclass serves besides GET (HEAD and OPTIONS come with it). */
  protected readonly alsoServes: Array<'POST'> = [];

  abstract get(request: IApiRequest, endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse>;

  protected allowed(): string[] {
    return ['GET', 'HEAD', ...this.alsoServes, 'OPTIONS'];
  }

  async head(...args: Parameters<Handler>): Promise<IApiResponse> {
    const response = await this.get(...args);
    return { ...response, content: '' };
  }

  async options(): Promise<IApiResponse> {
    return apiResponseOf(answer({ status: 204, headers: { ...PAGE_HEADERS, allow: this.allowed().join(', ') }, body: '' }));
  }

  async post(...args: Parameters<Handler>): Promise<IApiResponse> {
    void args;
    return apiResponseOf(methodNotAllowed(this.allowed()));
  }

  async put(): Promise<IApiResponse> {
    return apiResponseOf(methodNotAllowed(this.allowed()));
  }

  async delete(): Promise<IApiResponse> {
    return apiResponseOf(methodNotAllowed(this.allowed()));
  }

  async patch(): Promise<IApiResponse> {
    return apiResponseOf(methodNotAllowed(this.allowed()));
  }
}
