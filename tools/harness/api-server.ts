// A real node:http server for the apps' HTTP endpoints, shaped like Rocket.Chat's
// (apps/meteor/app/apps/server/bridges/api.ts and router.ts):
//   /api/apps/public/<appId>/<path>           public endpoints
//   /api/apps/private/<appId>/<hash>/<path>   private endpoints (the hash is checked by the engine)
// The request the app sees: lower-case method, Node's headers, the query string as an object (repeated
// keys as arrays), `:name` path parameters, and `content` parsed from a JSON or form-urlencoded body
// ({} otherwise, as express' json/urlencoded parsers leave it). The app's answer is sent as express'
// res.set(headers).status(status).send(content) would: objects as JSON, strings as text/html, nothing
// at all for an empty body (a 302 with its Location header, for instance).
// Endpoints declared with `authRequired` answer 401: the harness has no logged-in users.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { RequestMethod } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { readBody } from '../read-body';
import type { ApiRoutes } from './bridges';

export type ExecuteApi = (appId: string, path: string, request: IApiRequest) => Promise<IApiResponse>;

const MAX_BODY_BYTES = 1024 * 1024;

function parseContent(req: IncomingMessage, body: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (body.length === 0) {
    return {};
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw Object.assign(new Error('invalid JSON body'), { status: 400 });
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return toObject(new URLSearchParams(body.toString('utf8')));
  }
  return {};
}

function toObject(params: URLSearchParams): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = result[key];
    result[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function reply(res: ServerResponse, { status, headers = {}, content }: IApiResponse): void {
  for (const [name, value] of Object.entries(headers)) {
    res.setHeader(name, value);
  }
  res.statusCode = status;
  if (content === undefined || content === null) {
    res.end();
    return;
  }
  let body: Buffer;
  let type: string;
  if (Buffer.isBuffer(content) || content instanceof Uint8Array) {
    body = Buffer.from(content);
    type = 'application/octet-stream';
  } else if (typeof content === 'string') {
    body = Buffer.from(content);
    type = 'text/html; charset=utf-8';
  } else {
    body = Buffer.from(JSON.stringify(content));
    type = 'application/json; charset=utf-8';
  }
  if (!res.hasHeader('content-type')) {
    res.setHeader('content-type', type);
  }
  res.setHeader('content-length', body.length);
  res.end(body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/** Splits /api/apps/{public|private}/<appId>[/<hash>]/<rest> */
function locate(pathname: string): { appId: string; privateHash?: string; rest: string } | undefined {
  const match = /^\/api\/apps\/(public|private)\/([^/]+)\/(.*)$/.exec(pathname);
  if (!match) {
    return undefined;
  }
  const [, visibility, appId, rest] = match;
  if (visibility === 'public') {
    return { appId, rest };
  }
  const slash = rest.indexOf('/');
  return slash === -1 ? undefined : { appId, privateHash: rest.slice(0, slash), rest: rest.slice(slash + 1) };
}

export async function startApiServer(routes: ApiRoutes, executeApi: ExecuteApi, port: number): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error & { status?: number }) => {
      if (!res.headersSent) {
        plain(res, error.status ?? 500, error.message);
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = locate(url.pathname);
    const found = target && routes.match(target.appId, target.rest);
    if (!target || !found) {
      plain(res, 404, 'Not Found');
      return;
    }
    if (found.route.authRequired) {
      plain(res, 401, 'Unauthorized');
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    const request: IApiRequest = {
      method: (req.method ?? 'GET').toLowerCase() as RequestMethod,
      headers: req.headers as Record<string, string>,
      query: toObject(url.searchParams) as Record<string, string>,
      params: found.params,
      content: parseContent(req, body),
      privateHash: target.privateHash,
    };
    const response = await executeApi(target.appId, found.route.path, request);
    reply(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${actual}` };
}

export function stopApiServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
