/** The engine's API request and response, as the app layer's web request and answer (src/app/web/web.ts). */
import type { IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import type { WebAnswer, WebRequest } from '../../app/web/web';
import { toEngine } from '../engine-boundary';

export function webRequestOf(request: IApiRequest): WebRequest {
  return { query: request.query ?? {}, headers: request.headers ?? {}, content: request.content };
}

/** Every answer leaves through the engine boundary: no undefined member crosses the IPC. */
export function apiResponseOf(answer: WebAnswer): IApiResponse {
  return toEngine({ status: answer.status, headers: answer.headers, content: answer.body });
}
