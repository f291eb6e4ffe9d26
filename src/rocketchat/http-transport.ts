/**
 * The core's HTTP transport on the engine's HTTP accessor: inside the app every outbound call goes
 * through it, so the server's proxy, TLS and outbound-request policies apply.
 */
import type { IHttp, IHttpRequest, IHttpResponse } from '@rocket.chat/apps-engine/definition/accessors';
import { TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from '../core/ports';
import { toEngine } from './engine-boundary';

export class EngineHttpTransport implements HttpTransport {
  constructor(private readonly http: IHttp) {}

  async send(request: HttpRequest, options: { timeoutMs: number }): Promise<HttpResponse> {
    const call: IHttpRequest = toEngine({ headers: request.headers, content: request.body, timeout: options.timeoutMs });
    let response: IHttpResponse;
    try {
      response = await this.dispatch(request, call);
    } catch (error) {
      // The accessor throws only when no answer came; its message may quote the request, so it is not kept.
      const timedOut = /time(d)?\s?out|ETIMEDOUT|ESOCKETTIMEDOUT/i.test(error instanceof Error ? error.message : String(error));
      throw new TransportError(timedOut ? 'timeout' : 'network failure', timedOut ? 'timeout' : 'network');
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
    return { status: response.statusCode, headers, body: typeof response.content === 'string' ? response.content : '' };
  }

  private dispatch(request: HttpRequest, call: IHttpRequest): Promise<IHttpResponse> {
    switch (request.method) {
      case 'GET':
        return this.http.get(request.url, call);
      case 'POST':
        return this.http.post(request.url, call);
      case 'DELETE':
        return this.http.del(request.url, call);
    }
  }
}
