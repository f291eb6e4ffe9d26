/**
 * Requests the server sends to integrations, with Go's HTTP client as Mattermost configures it
 * (platform/services/httpservice): User-Agent `Mattermost-Bot/1.1`, `Accept-Encoding: gzip` with the
 * answer decompressed, one deadline for the whole exchange (OutgoingIntegrationRequestsTimeout), at
 * most `limit` bytes of the answer read (io.LimitReader), and no connection to a loopback, private or
 * otherwise reserved address unless ServiceSettings.AllowedUntrustedInternalConnections names it.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
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
  /** AllowedUntrustedInternalConnections: host names, or CIDR ranges of addresses, that may be reached. */
  allowedInternal: readonly string[];
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

/** reservedIPRanges (platform/services/httpservice/client.go). */
const RESERVED = new BlockList();
for (const cidr of [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
]) {
  const [network, prefix] = cidr.split('/');
  RESERVED.addSubnet(network, Number(prefix), 'ipv4');
}
for (const cidr of [
  '::/128',
  '::1/128',
  '100::/64',
  '2001::/23',
  '2001:2::/48',
  '2001:db8::/32',
  '2001::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
  '2002::/16',
  '64:ff9b::/96',
  '2001:10::/28',
  '2001:20::/28',
]) {
  const [network, prefix] = cidr.split('/');
  RESERVED.addSubnet(network, Number(prefix), 'ipv6');
}

export const ADDRESS_FORBIDDEN =
  'address forbidden, you may need to set AllowedUntrustedInternalConnections to allow an integration access to your internal network';

/**
 * dialContextFilter: a host named in the list is dialled; otherwise each address it resolves to must
 * be public, or inside a CIDR range of the list. (The server's own addresses are refused too; not here.)
 */
async function checkAddress(hostname: string, allowed: readonly string[]): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (allowed.includes(host)) return;
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  const ranges = new BlockList();
  for (const entry of allowed) {
    const [network, prefix] = entry.split('/');
    const family = isIP(network);
    if (prefix !== undefined && family !== 0) ranges.addSubnet(network, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
  }
  for (const address of addresses) {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (RESERVED.check(address, family) && !ranges.check(address, family)) throw new OutgoingError(ADDRESS_FORBIDDEN, false);
  }
}

export async function send(outgoing: OutgoingRequest): Promise<OutgoingAnswer> {
  const url = new URL(outgoing.url);
  try {
    await checkAddress(url.hostname, outgoing.allowedInternal);
  } catch (error) {
    throw error instanceof OutgoingError ? error : new OutgoingError(String(error), false);
  }
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
