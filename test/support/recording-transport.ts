/**
 * A transport for unit tests: records every request the core sends, and answers each from a
 * script. Nothing here stands in for a real server in a test that claims to exercise one.
 */
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/core/ports';
import { TransportError } from '../../src/core/ports';

export type Answer = Partial<HttpResponse> | ((request: HttpRequest) => Partial<HttpResponse> | Promise<Partial<HttpResponse>>) | 'timeout' | 'network';

export class RecordingTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  private readonly queue: Answer[] = [];

  constructor(private readonly fallback?: Answer) {}

  /** Queues answers, used in order; after them, the fallback answers. */
  answer(...answers: Answer[]): this {
    this.queue.push(...answers);
    return this;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(structuredClone(request));
    const next = this.queue.shift() ?? this.fallback;
    if (next === undefined) throw new Error(`unexpected request ${request.method} ${request.url}`);
    if (next === 'timeout' || next === 'network') throw new TransportError(next, next);
    const partial = typeof next === 'function' ? await next(request) : next;
    return { status: partial.status ?? 200, headers: partial.headers ?? {}, body: partial.body ?? '' };
  }

  get last(): HttpRequest {
    const request = this.requests[this.requests.length - 1];
    if (!request) throw new Error('no request was sent');
    return request;
  }

  /** The form body of a request as an object. */
  static form(request: HttpRequest): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(request.body ?? ''));
  }
}

export function json(body: unknown, status = 200): Partial<HttpResponse> {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function basicOf(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
