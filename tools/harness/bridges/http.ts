// Outbound HTTP for apps, done for real with node:http / node:https, with the request semantics of
// Rocket.Chat's bridge (apps/meteor/app/apps/server/bridges/http.ts):
//   - `params` go to the query string for GET/HEAD or when `content` is given, otherwise they become a
//     form-urlencoded body; `data` (an object) is sent as JSON when there is no `content`;
//   - `auth: "user:password"` becomes Basic authorization; GET/HEAD never carry a body;
//   - `query` is ignored (Rocket.Chat ignores it too); timeout defaults to 3 minutes;
//   - redirects are followed (Rocket.Chat's fetch does), up to 20;
//   - the response has `content` (text, or a Buffer when `encoding: null`) and `data` parsed from JSON
//     content types, null otherwise.

import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { IHttpResponse } from '@rocket.chat/apps-engine/definition/accessors';
import type { IHttpBridgeRequestInfo } from '@rocket.chat/apps-engine/server/bridges';

import type { Engine } from '../engine';
import type { World } from '../world';

const DEFAULT_TIMEOUT_MS = 3 * 60 * 1000;
const MAX_REDIRECTS = 20;
const JSON_TYPES = ['application/json', 'text/javascript', 'application/javascript', 'application/x-javascript'];

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  timeout: number,
  rejectUnauthorized: boolean,
): Promise<RawResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // Node's client sends a DELETE body neither chunked nor with a length unless told the length (its
  // useChunkedEncodingByDefault is off for DELETE), so the server would see none; fetch, which
  // Rocket.Chat uses, always sets it.
  if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) {
    headers = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout, ...(url.protocol === 'https:' ? { rejectUnauthorized } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`Request to ${url.origin} timed out after ${timeout} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

export async function performHttpCall(info: IHttpBridgeRequestInfo, route: (url: URL) => URL = (url) => url): Promise<IHttpResponse> {
  const { request } = info;
  let method = info.method.toUpperCase();
  let url = new URL(info.url);
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  const isGetOrHead = (verb: string) => verb === 'GET' || verb === 'HEAD';

  let content = request.content;
  if (!content && typeof request.data === 'object' && request.data !== null) {
    content = JSON.stringify(request.data);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
  }

  if (request.auth) {
    if (!request.auth.includes(':')) {
      throw new Error('auth option should be of the form "username:password"');
    }
    headers.Authorization = `Basic ${Buffer.from(request.auth, 'ascii').toString('base64')}`;
  }

  const params = Object.entries(request.params ?? {}).filter(([, value]) => Boolean(value));
  if (content || isGetOrHead(method)) {
    params.forEach(([key, value]) => url.searchParams.append(key, value));
  } else if (params.length > 0) {
    content = new URLSearchParams(params).toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }

  let body = isGetOrHead(method) ? undefined : content;
  const timeout = request.timeout || DEFAULT_TIMEOUT_MS;
  const rejectUnauthorized = !(request.strictSSL === false || request.rejectUnauthorized === false);

  let response = await send(route(url), method, headers, body, timeout, rejectUnauthorized);
  for (let hops = 0; [301, 302, 303, 307, 308].includes(response.status) && response.headers.location; hops++) {
    if (hops === MAX_REDIRECTS) {
      throw new Error(`Too many redirects from ${info.url}`);
    }
    url = new URL(response.headers.location, url);
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    response = await send(route(url), method, headers, body, timeout, rejectUnauthorized);
  }

  const result: IHttpResponse = { url: info.url, method: info.method, statusCode: response.status, headers: flatHeaders(response.headers) };
  if (request.encoding === null) {
    result.content = response.body as unknown as string; // Rocket.Chat hands over the raw Buffer here as well
    return result;
  }
  result.content = response.body.toString((request.encoding as BufferEncoding | undefined) ?? 'utf8');
  const contentType = (response.headers['content-type'] ?? '').split(';')[0].trim();
  try {
    result.data = JSON_TYPES.includes(contentType) ? JSON.parse(result.content) : null;
  } catch {
    result.data = null;
  }
  return result;
}

export function createHttpBridge(engine: Engine, world: World) {
  class HarnessHttpBridge extends engine.bridges.HttpBridge {
    protected call(info: IHttpBridgeRequestInfo): Promise<IHttpResponse> {
      return performHttpCall(info, (url) => world.routeOutbound(url));
    }
  }

  return new HarnessHttpBridge();
}
