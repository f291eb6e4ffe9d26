/**
 * The service's HTTP edge on Node's http module: bodies read with a size limit, requests handed to
 * the app layer as its web requests (src/app/web/web.ts), and answers written with the same security
 * headers whatever the route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebAnswer, WebRequest } from '../app/web/web';

/** Mattermost's own forms and actions are a few kilobytes; anything larger is not from it. */
export const MAX_BODY_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The app layer's view of a browser request: query, lower-case headers, the raw form body. */
export function webRequestOf(request: IncomingMessage, url: URL, body: string | undefined): WebRequest {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const before = query[name];
    query[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { query, headers, content: body };
}

const API_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function json(status: number, body: unknown): WebAnswer {
  // Mattermost parses a command's answer only when its Content-Type is exactly application/json (command.go).
  return { status, headers: { ...API_HEADERS, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A refusal that says nothing about why (a wrong token must not learn which part was wrong). */
export function bare(status: number, allow?: string[]): WebAnswer {
  return { status, headers: { ...API_HEADERS, ...(allow ? { allow: allow.join(', ') } : {}) }, body: '' };
}

export function write(response: ServerResponse, answer: WebAnswer, withBody = true): void {
  response.writeHead(answer.status, { ...API_HEADERS, ...answer.headers });
  response.end(withBody ? answer.body : undefined);
}
