/**
 * A loopback HTTP proxy in front of the authorization server that adds up how long it takes to
 * answer: from a request's arrival here to the last byte of the server's answer. The harness sends
 * the app's outbound calls to the provider through it (harness.routeOrigin), so the bench can take
 * the provider's time out of the app's requests. What it measures includes the hop from here to
 * the provider, one loopback hop the app would otherwise have made to the provider directly.
 */
import { Agent, createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ProxyTally {
  /** Milliseconds spent answering, summed over the requests. */
  ms: number;
  requests: number;
  /** Answers of 400 and more (a figure built on failed requests would mean nothing). */
  failures: number;
}

export class TimingProxy {
  private tally: ProxyTally = { ms: 0, requests: 0, failures: 0 };
  private readonly agent = new Agent({ keepAlive: true });
  private readonly server: Server = createServer((req, res) => this.relay(req, res));

  private constructor(private readonly target: URL) {}

  /** Starts a proxy to `target` (an origin, e.g. the provider's issuer) on a free loopback port. */
  static async start(target: string): Promise<TimingProxy> {
    const proxy = new TimingProxy(new URL(target));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  /** The proxy's base URL, http://127.0.0.1:<port>. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The tally since the last take(), which starts a new one. */
  take(): ProxyTally {
    const taken = this.tally;
    this.tally = { ms: 0, requests: 0, failures: 0 };
    return taken;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const tally = this.tally;
    const done = (status: number) => {
      tally.ms += performance.now() - start;
      tally.requests += 1;
      if (status >= 400) tally.failures += 1;
    };
    // The Host header names the provider, as it would without the proxy (its discovery URLs follow it).
    const upstream = forward(
      {
        host: this.target.hostname,
        port: this.target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: this.target.host },
        agent: this.agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => done(answer.statusCode ?? 502));
      },
    );
    upstream.once('error', (error) => {
      done(502);
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`timing proxy: ${error.message}`);
    });
    req.pipe(upstream);
  }
}
