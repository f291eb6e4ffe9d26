/**
 * A tiny integration for the stand-in to call: it records every request exactly as received (raw
 * headers, raw body) and answers with whatever the test's handler says.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = (request: Received, res: ServerResponse) => void | Promise<void>;

export interface Receiver {
  url: string;
  received: Received[];
  /** Replaces how the receiver answers from now on. */
  answer(handler: Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(initial: Answer): Promise<Receiver> {
  let handler = initial;
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      Promise.resolve(handler(request, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolveListening) => server.listen(0, '127.0.0.1', resolveListening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer: (next) => {
      handler = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolveClosed) => server.close(() => resolveClosed()));
    },
  };
}

export const json =
  (body: unknown, status = 200, contentType = 'application/json'): Answer =>
  (_request, res) => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(JSON.stringify(body));
  };

export const text =
  (body: string, status = 200, contentType = 'text/plain'): Answer =>
  (_request, res) => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(body);
  };
