/**
 * What every provider emulator is made of. An emulator is a small HTTP server on 127.0.0.1 that
 * answers the way one provider documents, and refuses what that provider refuses; the provider's own
 * quirks are written in its file (test/emulators/<provider>.ts), citing the documentation, and this
 * kit holds only what OAuth 2.0 itself fixes (RFC 6749, RFC 7636) plus plumbing.
 *
 * One server stands in for several origins of a provider (github.com and api.github.com): the
 * first path segment is the host, so `https://api.github.com/user` is served at
 * `http://127.0.0.1:<port>/api.github.com/user`. The engine harness routes the app's outbound
 * calls there (AppsEngineHarness.routeOrigin) and the scripted browser does the same
 * (`resolve`), so every preset runs with its real URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

// ------------------------------------------------------------------------------------------------
// Accounts and clients

/** The people who sign in at every emulated provider. */
export interface EmulatedAccount {
  /** Stable id at the provider. */
  id: string;
  login: string;
  name: string;
  email: string;
}

export const ACCOUNTS: Readonly<Record<string, EmulatedAccount>> = {
  alice: { id: '1001', login: 'alice', name: 'Alice Example', email: 'alice@example.test' },
  bob: { id: '1002', login: 'bob', name: 'Bob Example', email: 'bob@example.test' },
};

/** The app's registration at the provider, as an admin would make it. */
export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  /** Exactly as registered (the app's `complete` endpoint). */
  redirectUri: string;
}

// ------------------------------------------------------------------------------------------------
// Requests and answers

export interface EmulatorRequest {
  method: string;
  /** The provider host this request was meant for, e.g. `api.github.com`. */
  host: string;
  /** The path at that host, e.g. `/user`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EmulatorAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): EmulatorAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

export const formAnswer = (status: number, fields: Record<string, string>): EmulatorAnswer => ({
  status,
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'cache-control': 'no-store' },
  body: new URLSearchParams(fields).toString(),
});

export const text = (status: number, body: string, type = 'text/plain; charset=utf-8'): EmulatorAnswer => ({ status, headers: { 'content-type': type }, body });

export const redirect = (location: string): EmulatorAnswer => ({ status: 302, headers: { location }, body: '' });

/** The redirect back to the client with these query parameters (RFC 6749 §4.1.2, §4.1.2.1). */
export function redirectBack(redirectUri: string, params: Record<string, string | undefined>): EmulatorAnswer {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return redirect(url.toString());
}

/** The form body of a request (`application/x-www-form-urlencoded`), or undefined when it is something else. */
export function formOf(req: EmulatorRequest): URLSearchParams | undefined {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  return type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(req.body) : undefined;
}

/** The JSON object body of a request, or undefined. */
export function jsonOf(req: EmulatorRequest): Record<string, unknown> | undefined {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json')) return undefined;
  try {
    const value: unknown = JSON.parse(req.body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How the client authenticated (RFC 6749 §2.3.1): HTTP Basic, body parameters, both, or neither. */
export interface ClientAuthentication {
  method: 'client_secret_basic' | 'client_secret_post' | 'both' | 'none';
  clientId?: string;
  clientSecret?: string;
}

export function clientAuthOf(req: EmulatorRequest, params: { get(name: string): string | null } | undefined): ClientAuthentication {
  const header = String(req.headers.authorization ?? '');
  const bodyId = params?.get('client_id') ?? undefined;
  const bodySecret = params?.get('client_secret') ?? undefined;
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    const decode = (value: string) => decodeURIComponent(value.replace(/\+/g, '%20'));
    const clientId = decode(colon === -1 ? decoded : decoded.slice(0, colon));
    const clientSecret = colon === -1 ? undefined : decode(decoded.slice(colon + 1));
    return { method: bodySecret !== undefined ? 'both' : 'client_secret_basic', clientId, clientSecret };
  }
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/** The bearer token of an API call (RFC 6750 §2.1), or undefined. */
export function bearerOf(req: EmulatorRequest): string | undefined {
  const match = /^bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return match?.[1];
}

/** RFC 7636 §4.6: the verifier matches the challenge (S256 or plain). */
export function verifierMatches(verifier: string | undefined, challenge: string, method: string): boolean {
  if (!verifier || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const computed = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  return computed === challenge;
}

export const opaque = (prefix: string, bytes = 24): string => `${prefix}${randomBytes(bytes).toString('base64url')}`;

// ------------------------------------------------------------------------------------------------
// Grants: codes, access tokens, refresh tokens, with the rules RFC 6749 sets for all of them

export interface Grant {
  id: string;
  clientId: string;
  account: EmulatedAccount;
  scopes: string[];
  revoked: boolean;
  /** Anything the provider keeps with the grant (Slack's team, Atlassian's audience, …). */
  extra: Record<string, string>;
}

export interface IssuedCode {
  grant: Grant;
  redirectUri?: string;
  challenge?: { value: string; method: string };
  expiresAt: number;
  redeemed: boolean;
  /** Tokens issued from it: revoked if the code is replayed (RFC 6749 §4.1.2). */
  issued: string[];
}

export interface AccessTokenRecord {
  grant: Grant;
  scopes: string[];
  expiresAt?: number;
  revoked: boolean;
}

export interface RefreshTokenRecord {
  grant: Grant;
  /** `rotated`: exchanged once already, with rotation on; using it again is a replay. */
  state: 'active' | 'rotated' | 'revoked';
  expiresAt?: number;
}

export interface IssuePolicy {
  /** Access token lifetime in seconds; undefined: the token does not expire. */
  accessTtlS?: number;
  /** Issue a refresh token with this grant. */
  refresh: boolean;
  refreshTtlS?: number;
  accessPrefix?: string;
  refreshPrefix?: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn?: number;
  refreshExpiresIn?: number;
  scopes: string[];
}

/** An OAuth error code with a short reason, what a grant operation answers instead of tokens. */
export interface GrantRefusal {
  error: string;
  reason: string;
}

export const refused = (error: string, reason: string): GrantRefusal => ({ error, reason });
export const isRefusal = (value: unknown): value is GrantRefusal => typeof value === 'object' && value !== null && 'error' in value && 'reason' in value;

export class GrantBook {
  private readonly codes = new Map<string, IssuedCode>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private grants = 0;

  /** A code for this grant; 10 minutes at most (RFC 6749 §4.1.2), single use. */
  issueCode(args: {
    clientId: string;
    account: EmulatedAccount;
    scopes: string[];
    redirectUri?: string;
    challenge?: { value: string; method: string };
    extra?: Record<string, string>;
    prefix?: string;
  }): string {
    const grant: Grant = {
      id: `grant-${++this.grants}`,
      clientId: args.clientId,
      account: args.account,
      scopes: args.scopes,
      revoked: false,
      extra: args.extra ?? {},
    };
    const code = opaque(args.prefix ?? 'code-', 16);
    this.codes.set(code, { grant, redirectUri: args.redirectUri, challenge: args.challenge, expiresAt: Date.now() + 10 * 60_000, redeemed: false, issued: [] });
    return code;
  }

  /**
   * Redeems a code (RFC 6749 §4.1.3): it must exist, be unexpired and unused, belong to this client,
   * come with the same redirect_uri when the authorization request had one (when `redirectUriRequired`),
   * and with the PKCE verifier when a challenge was given (RFC 7636 §4.6). A replayed code revokes
   * what it issued (RFC 6749 §4.1.2).
   */
  redeemCode(
    code: string | undefined,
    args: { clientId: string | undefined; redirectUri: string | undefined; verifier: string | undefined; redirectUriRequired: boolean },
  ): IssuedCode | GrantRefusal {
    const issued = code ? this.codes.get(code) : undefined;
    if (!issued) return refused('invalid_grant', 'unknown authorization code');
    if (issued.redeemed) {
      for (const token of issued.issued) this.revoke(token);
      issued.grant.revoked = true;
      return refused('invalid_grant', 'authorization code already used');
    }
    issued.redeemed = true;
    if (issued.expiresAt <= Date.now()) return refused('invalid_grant', 'authorization code expired');
    if (issued.grant.clientId !== args.clientId) return refused('invalid_grant', 'authorization code issued to another client');
    if (args.redirectUriRequired && issued.redirectUri !== undefined && issued.redirectUri !== args.redirectUri) {
      return refused('invalid_grant', 'redirect_uri differs from the authorization request');
    }
    if (issued.challenge && !verifierMatches(args.verifier, issued.challenge.value, issued.challenge.method)) {
      return refused('invalid_grant', 'PKCE verification failed');
    }
    if (!issued.challenge && args.verifier) return refused('invalid_grant', 'code_verifier sent but no challenge was given');
    return issued;
  }

  issueTokens(grant: Grant, policy: IssuePolicy, from?: IssuedCode): IssuedTokens {
    const now = Date.now();
    const accessToken = opaque(policy.accessPrefix ?? 'at-');
    this.accessTokens.set(accessToken, {
      grant,
      scopes: grant.scopes,
      expiresAt: policy.accessTtlS === undefined ? undefined : now + policy.accessTtlS * 1000,
      revoked: false,
    });
    from?.issued.push(accessToken);
    let refreshToken: string | undefined;
    if (policy.refresh) {
      refreshToken = opaque(policy.refreshPrefix ?? 'rt-');
      this.refreshTokens.set(refreshToken, {
        grant,
        state: 'active',
        expiresAt: policy.refreshTtlS === undefined ? undefined : now + policy.refreshTtlS * 1000,
      });
      from?.issued.push(refreshToken);
    }
    return { accessToken, refreshToken, expiresIn: policy.accessTtlS, refreshExpiresIn: policy.refresh ? policy.refreshTtlS : undefined, scopes: grant.scopes };
  }

  /**
   * A refresh (RFC 6749 §6). With `rotate`, the old refresh token is spent and a new one issued;
   * presenting a spent one again is a replay: with `reuse: 'revoke-grant'` the whole grant dies
   * (RFC 9700 §4.14.2, refresh token rotation), with 'reject' only the request is refused.
   */
  refresh(
    token: string | undefined,
    args: {
      clientId: string | undefined;
      rotate: boolean;
      reuse: 'revoke-grant' | 'reject';
      policy: IssuePolicy;
      /** The grant's earlier access tokens stop working once a refresh succeeds. */
      retireAccessTokens?: boolean;
    },
  ): IssuedTokens | GrantRefusal {
    const record = token ? this.refreshTokens.get(token) : undefined;
    if (!record) return refused('invalid_grant', 'unknown refresh token');
    if (record.grant.clientId !== args.clientId) return refused('invalid_grant', 'refresh token issued to another client');
    if (record.state === 'rotated') {
      if (args.reuse === 'revoke-grant') this.revokeGrant(record.grant);
      return refused('invalid_grant', 'refresh token already used (rotated)');
    }
    if (record.state === 'revoked' || record.grant.revoked) return refused('invalid_grant', 'refresh token revoked');
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return refused('invalid_grant', 'refresh token expired');
    if (args.retireAccessTokens) for (const access of this.accessTokens.values()) if (access.grant === record.grant) access.revoked = true;
    if (!args.rotate) {
      const renewed = this.issueTokens(record.grant, { ...args.policy, refresh: false });
      return { ...renewed, refreshToken: undefined };
    }
    record.state = 'rotated';
    return this.issueTokens(record.grant, { ...args.policy, refresh: true });
  }

  /** The live access token's record, or undefined when it is unknown, expired or revoked. */
  liveAccessToken(token: string | undefined): AccessTokenRecord | undefined {
    const record = token ? this.accessTokens.get(token) : undefined;
    if (!record || record.revoked || record.grant.revoked) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return undefined;
    return record;
  }

  /** Whether the provider would still accept this token (access or refresh). */
  isAlive(token: string): boolean {
    if (this.liveAccessToken(token)) return true;
    const refresh = this.refreshTokens.get(token);
    return Boolean(refresh && refresh.state === 'active' && !refresh.grant.revoked && (refresh.expiresAt === undefined || refresh.expiresAt > Date.now()));
  }

  /** Revokes one token; answers whether it was known. */
  revoke(token: string): boolean {
    const access = this.accessTokens.get(token);
    if (access) access.revoked = true;
    const refresh = this.refreshTokens.get(token);
    if (refresh) refresh.state = 'revoked';
    return Boolean(access || refresh);
  }

  /** Revokes every token of the grant a token belongs to (RFC 7009 §2.1: the server MAY, most do). */
  revokeGrantOf(token: string): boolean {
    const grant = this.accessTokens.get(token)?.grant ?? this.refreshTokens.get(token)?.grant;
    if (!grant) return false;
    this.revokeGrant(grant);
    return true;
  }

  revokeGrant(grant: Grant): void {
    grant.revoked = true;
    for (const record of this.accessTokens.values()) if (record.grant === grant) record.revoked = true;
    for (const record of this.refreshTokens.values()) if (record.grant === grant) record.state = 'revoked';
  }

  /** Makes the provider reject an access token from now on, as when it expires or is revoked at the provider's side. */
  expireAccessToken(token: string): void {
    const record = this.accessTokens.get(token);
    if (record) record.expiresAt = Date.now() - 1;
  }
}

// ------------------------------------------------------------------------------------------------
// The server

/** One token-endpoint call as the emulator saw it, for the tests' assertions. */
export interface TokenCall {
  grantType?: string;
  clientAuth: ClientAuthentication['method'];
  /** The refresh token presented, when there was one. */
  refreshToken?: string;
  status: number;
  /** The OAuth error answered, if any. */
  error?: string;
}

export type RouteHandler = (req: EmulatorRequest) => EmulatorAnswer | Promise<EmulatorAnswer>;

interface Route {
  host: string;
  method: string;
  path: string | RegExp;
  handler: RouteHandler;
}

const BODY_LIMIT = 64 * 1024;

export class EmulatorServer {
  private readonly routes: Route[] = [];
  /** Every request that reached the server: host, method, path (never a body). */
  readonly seen: Array<{ method: string; host: string; path: string; status: number }> = [];

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:<port> */
    readonly url: string,
  ) {}

  static async start(): Promise<EmulatorServer> {
    // The server's handler needs the EmulatorServer, which needs the listening server's port.
    const holder: { self?: EmulatorServer } = {};
    const server = createServer((req, res) => {
      void holder.self!.dispatch(req.method ?? 'GET', req.url ?? '/', req.headers, req).then((answer) => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('emulator: no port');
    holder.self = new EmulatorServer(server, `http://127.0.0.1:${address.port}`);
    return holder.self;
  }

  on(host: string, method: string, path: string | RegExp, handler: RouteHandler): this {
    this.routes.push({ host, method, path, handler });
    return this;
  }

  /** Origin -> where it is served here, for AppsEngineHarness.routeOrigin and the scripted browser. */
  origins(): Array<{ origin: string; target: string }> {
    const hosts = [...new Set(this.routes.map((route) => route.host))];
    return hosts.map((host) => ({ origin: `https://${host}`, target: `${this.url}/${host}` }));
  }

  /** Where the browser really goes for a provider URL (unchanged when not served here). */
  resolve(url: URL): URL {
    const route = this.origins().find((entry) => entry.origin === url.origin);
    return route ? new URL(`${route.target}${url.pathname}${url.search}`) : url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: AsyncIterable<Buffer>): Promise<EmulatorAnswer> {
    const url = new URL(rawUrl, this.url);
    const [, host = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    let answer: EmulatorAnswer;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.length;
        if (size > BODY_LIMIT) return text(413, 'request too large');
        chunks.push(chunk);
      }
      const req: EmulatorRequest = { method, host, path, query: url.searchParams, headers, body: Buffer.concat(chunks).toString('utf8') };
      const route = this.routes.find((r) => r.host === host && r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)));
      if (route) answer = await route.handler(req);
      else if (this.routes.some((r) => r.host === host && (typeof r.path === 'string' ? r.path === path : r.path.test(path))))
        answer = text(405, 'method not allowed');
      else answer = text(404, 'not found');
    } catch (error) {
      answer = text(500, `emulator error: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.seen.push({ method, host, path, status: answer.status });
    return answer;
  }
}

// ------------------------------------------------------------------------------------------------
// What a test needs to know of an emulator

/** What the journey test knows of every emulated provider. */
export interface ProviderEmulator {
  /** The preset it stands behind (`github`). */
  preset: string;
  /** The documentation pages it follows, for the test table. */
  docs: string[];
  server: EmulatorServer;
  /** App settings of the slot besides enabled/preset/client id/secret (site, tenant, scopes, advanced). */
  settings: Record<string, string>;
  /** Whether this variant issues refresh tokens, lets access tokens expire, revokes at an endpoint. */
  behaviour: { refreshes: boolean; expires: boolean; revocation: boolean };
  /** Every token-endpoint call so far, oldest first. */
  tokenCalls: TokenCall[];
  /** Whether the provider would still accept the token. */
  isAlive(token: string): boolean;
  /** Makes the provider refuse this access token from now on (expired or revoked on its side). */
  expireAccessToken(token: string): void;
  close(): Promise<void>;
}

/** What every emulator factory takes. */
export interface EmulatorOptions {
  client: RegisteredClient;
  /** Access token lifetime in seconds, where the provider's tokens expire (default: the provider's own). */
  accessTtlS?: number;
}

/** The account a scripted browser chose, from the `test_account` / `test_decision` query parameters it adds. */
export function consentOf(req: EmulatorRequest): { account: EmulatedAccount; approved: boolean } | undefined {
  const account = ACCOUNTS[req.query.get('test_account') ?? ''];
  if (!account) return undefined;
  return { account, approved: req.query.get('test_decision') !== 'deny' };
}

/** A token call as recorded, read from the request's parameters (grant type defaults to the code grant). */
export function tokenCallOf(params: URLSearchParams | undefined, auth: ClientAuthentication): Omit<TokenCall, 'status' | 'error'> {
  return { grantType: params?.get('grant_type') ?? 'authorization_code', clientAuth: auth.method, refreshToken: params?.get('refresh_token') ?? undefined };
}

/** A JSON object body as parameters (its string members), for endpoints that take JSON or form alike. */
export function jsonParams(req: EmulatorRequest): URLSearchParams | undefined {
  const body = jsonOf(req);
  if (!body) return undefined;
  return new URLSearchParams(
    Object.entries(body)
      .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
}

/** The part of a ProviderEmulator that its grants and its server answer. */
export function lifecycleOf(
  grants: Pick<GrantBook, 'isAlive' | 'expireAccessToken'>,
  server: EmulatorServer,
): Pick<ProviderEmulator, 'isAlive' | 'expireAccessToken' | 'close'> {
  return { isAlive: (token) => grants.isAlive(token), expireAccessToken: (token) => grants.expireAccessToken(token), close: () => server.close() };
}

/** Records a token call and returns the answer unchanged. */
export function recordTokenCall(calls: TokenCall[], call: Omit<TokenCall, 'status' | 'error'>, answer: EmulatorAnswer): EmulatorAnswer {
  let error: string | undefined;
  try {
    const parsed = answer.body?.trim().startsWith('{')
      ? (JSON.parse(answer.body) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(answer.body ?? ''));
    if (typeof parsed.error === 'string') error = parsed.error;
  } catch {
    // not an OAuth error body
  }
  calls.push({ ...call, status: answer.status, error });
  return answer;
}
