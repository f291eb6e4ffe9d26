/**
 * The core's HTTP transport on the engine's HTTP accessor: inside the app every outbound call goes
 * through it, so the server's proxy, TLS and outbound-request policies apply.
 *
 * Redirects: token and revocation requests should not follow them (a 307 would resend the client
 * secret and the code to wherever it points, past the endpoint policy). The accessor offers no way
 * to say so: IHttpRequest has no redirect option in Apps-Engine 1.62, and Rocket.Chat's server
 * side performs the call with fetch, which follows redirects. The Node transport
 * (src/node/axios-transport.ts) sets `maxRedirects: 0`; here only the endpoint policy on the URLs
 * the app starts from applies, and the server's own egress rules must do the rest.
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
