/**
 * The core's HTTP transport for a plain Node process (the local runner, scripts, tests of the core).
 * Inside the Rocket.Chat app, the engine's HTTP accessor plays this part instead.
 */
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from '../core/ports';

export class AxiosTransport implements HttpTransport {
  constructor(private readonly client: AxiosInstance = axios.create()) {}

  async send(request: HttpRequest, options: { timeoutMs: number }): Promise<HttpResponse> {
    try {
      const response = await this.client.request<string>({
        method: request.method,
        url: request.url,
        headers: request.headers,
        data: request.body,
        timeout: options.timeoutMs,
        // The core reads every status and body itself: no throwing on 4xx, no JSON parsing, no redirects
        // (a redirected token or revocation request would carry the secret past the endpoint policy).
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        maxRedirects: 0,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers ?? {})) {
        if (value !== undefined && value !== null) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      return { status: response.status, headers, body: typeof response.data === 'string' ? response.data : '' };
    } catch (error) {
      // Never pass axios' error on: its `config` holds the request, secrets included.
      const timedOut = error instanceof AxiosError && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT');
      throw new TransportError(timedOut ? 'timeout' : 'network failure', timedOut ? 'timeout' : 'network');
    }
  }
}
