/**
 * Requests the server sends to integrations, with Go's HTTP client as Mattermost configures it
 * (platform/services/httpservice): User-Agent `Mattermost-Bot/1.1`, `Accept-Encoding: gzip` with the
 * answer decompressed, one deadline for the whole exchange (OutgoingIntegrationRequestsTimeout), and at
 * most `limit` bytes of the answer read (io.LimitReader).
 */
import { request as httpRequest, STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface OutgoingRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Bytes of the answer read at most; the rest is never read. */
  limit: number;
}

export interface OutgoingAnswer {
  status: number;
  /** Go's resp.Status: "200 OK", "500 Internal Server Error". */
  statusLine: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class OutgoingError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export function send(outgoing: OutgoingRequest): Promise<OutgoingAnswer> {
  const url = new URL(outgoing.url);
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveAnswer, reject) => {
    let settled = false;
    const finish = (error: OutgoingError | undefined, answer?: OutgoingAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else if (answer) resolveAnswer(answer);
    };
    const headers: Record<string, string> = { 'User-Agent': 'Mattermost-Bot/1.1', ...outgoing.headers, 'Accept-Encoding': 'gzip' };
    if (outgoing.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(outgoing.body));
    const req = requester(url, { method: outgoing.method, headers });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new OutgoingError('context deadline exceeded (Client.Timeout exceeded while awaiting headers)', true));
    }, outgoing.timeoutMs);
    req.on('error', (error) => finish(new OutgoingError(error.message, false)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const statusLine = `${status} ${res.statusMessage || STATUS_CODES[status] || ''}`.trim();
      const stream: Readable = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        const room = outgoing.limit - size;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        size += Math.min(chunk.length, room);
        if (size >= outgoing.limit) {
          // io.LimitReader: what lies past the limit is never read.
          res.destroy();
          finish(undefined, { status, statusLine, headers: res.headers, body: Buffer.concat(chunks) });
        }
      });
      stream.on('end', () => finish(undefined, { status, statusLine, headers: res.headers, body: Buffer.concat(chunks) }));
      stream.on('error', (error) => finish(new OutgoingError(error.message, false)));
      res.on('error', (error) => finish(new OutgoingError(error.message, false)));
    });
    req.end(outgoing.body);
  });
}

/** url.Values.Encode orders the pairs by key, keeping the order of a key's values. */
export function sortForm(values: Array<[string, string]>): Array<[string, string]> {
  return values
    .map((pair, index) => ({ pair, index }))
    .sort((a, b) => (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.index - b.index))
    .map(({ pair }) => pair);
}

/**
 * url.Values.Encode: keys sorted, each part escaped with url.QueryEscape (letters, digits and `-_.~`
 * kept, space as `+`, every other byte %XX in upper case).
 */
export function encodeForm(values: Array<[string, string]>): string {
  const escape = (text: string) =>
    Array.from(Buffer.from(text, 'utf8'))
      .map((byte) => {
        const char = String.fromCharCode(byte);
        if (/[A-Za-z0-9\-_.~]/.test(char)) return char;
        if (char === ' ') return '+';
        return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return sortForm(values)
    .map(([key, value]) => `${escape(key)}=${escape(value)}`)
    .join('&');
}
