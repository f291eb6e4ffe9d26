/**
 * Sending a request through the platform's transport and reading what comes back: the few steps
 * every endpoint call shares (timeouts, transport failures, body decoding).
 */
import { OAuthError } from './errors';
import { TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from './ports';

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sent on every call unless the request names its own. Some APIs refuse requests without one
 * (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent),
 * and HTTP clients differ in whether they add a default.
 */
export const USER_AGENT = 'oauth-connector/0.1 (chat workspace OAuth connector)';

/** Sends, turning "no answer" into a retryable `provider_unavailable` that names the endpoint only. */
export async function send(
  transport: HttpTransport,
  request: HttpRequest,
  what: string,
  providerId: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<HttpResponse> {
  try {
    const headers = 'user-agent' in request.headers ? request.headers : { ...request.headers, 'user-agent': USER_AGENT };
    return await transport.send({ ...request, headers }, { timeoutMs });
  } catch (error) {
    const reason = error instanceof TransportError && error.reason === 'timeout' ? `timed out after ${timeoutMs} ms` : 'could not be reached';
    throw new OAuthError(
      'provider_unavailable',
      `The ${what} of ${providerId} ${reason} (${endpointLabel(request.url)})`,
      { providerId, retryable: true },
      { cause: error },
    );
  }
}

/** Origin and path of a URL, never its query (which may carry credentials). */
export function endpointLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function formEncode(fields: Record<string, string | undefined>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) body.append(name, value);
  return body.toString();
}

export type BodyShape = 'json' | 'form' | 'html' | 'empty' | 'other';

export interface DecodedBody {
  shape: BodyShape;
  /** The fields of a JSON object or a form-encoded body. */
  fields?: Record<string, unknown>;
}

/**
 * Reads a response body as JSON or form-encoded fields, whatever the Content-Type claims: GitHub
 * answers form-encoded unless asked for JSON, some servers label JSON as text/plain.
 */
export function decodeBody(response: HttpResponse): DecodedBody {
  const text = response.body.trim();
  if (text === '') return { shape: 'empty' };
  const type = (response.headers['content-type'] ?? '').toLowerCase();
  if (text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return { shape: 'json', fields: value as Record<string, unknown> };
    } catch {
      return { shape: 'other' };
    }
  }
  if (text.startsWith('<') || type.includes('text/html')) return { shape: 'html' };
  if (type.includes('application/x-www-form-urlencoded') || /^[\w.~%-]+=[^\s]*(&[\w.~%-]+=[^\s]*)*$/.test(text)) {
    return { shape: 'form', fields: Object.fromEntries(new URLSearchParams(text)) };
  }
  return { shape: 'other' };
}

/** Words for a body that is not what an OAuth endpoint should send. */
export function describeShape(shape: BodyShape): string {
  switch (shape) {
    case 'html':
      return 'an HTML page';
    case 'empty':
      return 'an empty body';
    case 'other':
      return 'a body that is neither JSON nor form-encoded';
    default:
      return `a ${shape} body`;
  }
}

/** Reads a value at a dotted path (`user.name`) of a decoded JSON object. */
export function readPath(value: unknown, path: ReadonlyArray<string>): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
