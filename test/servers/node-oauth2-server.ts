/**
 * Test-only OAuth 2.0 authorization server built on @node-oauth/oauth2-server (runs in the jest
 * process, on 127.0.0.1, random port). A second, independent implementation next to oidc-provider.
 *
 * Routes:
 *   GET  /authorize   code flow; the user agent adds test_account=alice|bob|carol and
 *                     test_decision=approve|deny (deny => redirect with error=access_denied&state)
 *   POST /token       authorization_code (+PKCE: S256 only, required when the authorize request had
 *                     a code_challenge) and refresh_token
 *   POST /revoke      RFC 7009; revoking a refresh token revokes its whole family (all tokens from
 *                     the same authorization code); unknown token => 200
 *   POST /introspect  RFC 7662
 *   GET  /userinfo    Bearer access token => { sub, name, email, preferred_username }
 *   GET  /test/requests, POST /test/requests/reset   recorded token/revocation/introspection requests
 *
 * Client authentication is done here, before the library runs: the method really used
 * (Authorization: Basic => client_secret_basic, client_secret in the body => client_secret_post,
 * neither => none) must be the registered one, otherwise 401 invalid_client.
 */
import * as http from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import OAuth2Server from '@node-oauth/oauth2-server';

import type { TestAuthServer, TestClientCredentials, TokenRequestRecord } from '../support/auth-servers';

export interface NodeOAuth2TestClient {
  clientId: string;
  clientSecret?: string;
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** Must match the client's redirect_uri exactly. */
  redirectUris: string[];
}

export interface NodeOAuth2ServerConfig {
  clients: NodeOAuth2TestClient[];
  /** Access token lifetime in seconds (default 3600). */
  accessTokenLifetime?: number;
  /**
   * true (default, the library's default): every refresh returns a new refresh token and the old
   * one stops working (reuse => invalid_grant, the family is NOT revoked). false: no new refresh
   * token is returned and the old one stays valid.
   */
  alwaysIssueNewRefreshToken?: boolean;
}

const ACCOUNTS: Record<string, { sub: string; name: string; email: string; preferred_username: string }> = {
  alice: { sub: 'alice', name: 'Alice Example', email: 'alice@example.test', preferred_username: 'alice' },
  bob: { sub: 'bob', name: 'Bob Example', email: 'bob@example.test', preferred_username: 'bob' },
  carol: { sub: 'carol', name: 'Carol Example', email: 'carol@example.test', preferred_username: 'carol' },
};

const GRANTS = ['authorization_code', 'refresh_token'];
const BODY_LIMIT = 64 * 1024;

// ----------------------------------------------------------------------------------------------
// Shared with test/support/auth-servers.ts: a form POST authenticated the way `client` says.
/** RFC 7662 introspection at a real endpoint, authenticating as `client`. */
export async function introspectAt(endpoint: string, token: string, client: TestClientCredentials): Promise<{ active: boolean; [k: string]: unknown }> {
  const res = await postWithClientAuth(endpoint, { token }, client);
  const body = (await res.json()) as { active: boolean; [k: string]: unknown };
  if (!res.ok) throw new Error(`introspection failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export function postWithClientAuth(url: string, params: Record<string, string>, client: TestClientCredentials): Promise<Response> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (client.authMethod) {
    case 'client_secret_basic': {
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
      const pair = `${enc(client.clientId)}:${enc(client.clientSecret ?? '')}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      break;
    }
    case 'client_secret_post':
      body.set('client_id', client.clientId);
      body.set('client_secret', client.clientSecret ?? '');
      break;
    case 'none':
      body.set('client_id', client.clientId);
      break;
    default:
      throw new Error(`unsupported client auth method ${client.authMethod}`);
  }
  return fetch(url, { method: 'POST', headers, body });
}

// ----------------------------------------------------------------------------------------------
interface TestUser {
  id: string;
  /** All tokens coming from one authorization code share a family (a "grant"). */
  familyId: string;
}

interface StoredToken {
  value: string;
  kind: 'access_token' | 'refresh_token';
  clientId: string;
  user: TestUser;
  scope?: string[];
  issuedAt: number; // epoch seconds
  expiresAt?: Date;
  revoked: boolean;
}

interface StoredCode {
  value: string;
  clientId: string;
  user: TestUser;
  redirectUri: string;
  scope?: string[];
  expiresAt: Date;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  used: boolean;
}

type FormBody = Record<string, string>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

function readForm(req: http.IncomingMessage): Promise<FormBody> {
  return new Promise<FormBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new HttpError(413, 'invalid_request', 'request entity too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '');
      if (size > 0 && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        reject(new HttpError(400, 'invalid_request', 'content must be application/x-www-form-urlencoded'));
        return;
      }
      const form: FormBody = {};
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
        if (k in form) {
          reject(new HttpError(400, 'invalid_request', `duplicate parameter ${k}`));
          return;
        }
        form[k] = v;
      }
      resolve(form);
    });
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(text);
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const formDecode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
};

const epoch = (): number => Math.floor(Date.now() / 1000);

export async function startNodeOAuth2Server(config: NodeOAuth2ServerConfig): Promise<TestAuthServer> {
  const clients = new Map(config.clients.map((c) => [c.clientId, c]));
  const codes = new Map<string, StoredCode>();
  const tokens = new Map<string, StoredToken>();
  const requests: TokenRequestRecord[] = [];
  let issuer = '';

  const libClient = (c: NodeOAuth2TestClient): OAuth2Server.Client => ({
    id: c.clientId,
    redirectUris: c.redirectUris,
    grants: GRANTS,
  });

  const revokeFamily = (familyId: string): void => {
    for (const t of tokens.values()) if (t.user.familyId === familyId) t.revoked = true;
  };

  const liveToken = (value: string, kind?: StoredToken['kind']): StoredToken | undefined => {
    const t = tokens.get(value);
    if (!t || t.revoked || (kind && t.kind !== kind)) return undefined;
    if (t.expiresAt && t.expiresAt.getTime() <= Date.now()) return undefined;
    return t;
  };

  const model: OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel = {
    // Trap: the library passes clientSecret = null from /authorize but undefined from a token
    // request without a secret. Both mean "no secret here". Client authentication (method AND
    // secret) was already done by authenticateClient() before the library runs, so this only
    // looks the client up.
    async getClient(clientId: string) {
      const c = clients.get(clientId);
      return c ? libClient(c) : undefined;
    },
    async saveAuthorizationCode(code, client, user) {
      const family: TestUser = { id: String(user.id), familyId: randomBytes(8).toString('hex') };
      codes.set(code.authorizationCode, {
        value: code.authorizationCode,
        clientId: client.id,
        user: family,
        redirectUri: code.redirectUri,
        scope: code.scope,
        expiresAt: code.expiresAt,
        codeChallenge: code.codeChallenge,
        codeChallengeMethod: code.codeChallengeMethod,
        used: false,
      });
      return { ...code, client, user: family };
    },
    async getAuthorizationCode(value) {
      const code = codes.get(value);
      if (!code) return undefined;
      if (code.used) {
        // Replayed code: like oidc-provider, kill what was issued from it.
        revokeFamily(code.user.familyId);
        return undefined;
      }
      const c = clients.get(code.clientId);
      if (!c) return undefined;
      return {
        authorizationCode: code.value,
        expiresAt: code.expiresAt,
        redirectUri: code.redirectUri,
        scope: code.scope,
        client: libClient(c),
        user: code.user,
        codeChallenge: code.codeChallenge,
        codeChallengeMethod: code.codeChallengeMethod,
      };
    },
    async revokeAuthorizationCode(code) {
      const stored = codes.get(code.authorizationCode);
      if (!stored || stored.used) return false;
      stored.used = true;
      return true;
    },
    async saveToken(token, client, user) {
      const base = { clientId: client.id, user: user as TestUser, scope: token.scope, issuedAt: epoch(), revoked: false };
      tokens.set(token.accessToken, {
        ...base,
        value: token.accessToken,
        kind: 'access_token',
        expiresAt: token.accessTokenExpiresAt,
      });
      if (token.refreshToken) {
        tokens.set(token.refreshToken, {
          ...base,
          value: token.refreshToken,
          kind: 'refresh_token',
          expiresAt: token.refreshTokenExpiresAt,
        });
      }
      return { ...token, client, user };
    },
    async getAccessToken(value) {
      const t = liveToken(value, 'access_token');
      const c = t && clients.get(t.clientId);
      if (!t || !c) return undefined;
      return { accessToken: t.value, accessTokenExpiresAt: t.expiresAt, scope: t.scope, client: libClient(c), user: t.user };
    },
    async getRefreshToken(value) {
      const t = liveToken(value, 'refresh_token');
      const c = t && clients.get(t.clientId);
      if (!t || !c) return undefined;
      return { refreshToken: t.value, refreshTokenExpiresAt: t.expiresAt, scope: t.scope, client: libClient(c), user: t.user };
    },
    async revokeToken(token) {
      const t = liveToken(token.refreshToken, 'refresh_token');
      if (!t) return false;
      t.revoked = true;
      return true;
    },
  };

  const oauth = new OAuth2Server({
    model,
    accessTokenLifetime: config.accessTokenLifetime ?? 3600,
    refreshTokenLifetime: 14 * 24 * 3600,
    authorizationCodeLifetime: 60,
    alwaysIssueNewRefreshToken: config.alwaysIssueNewRefreshToken ?? true,
    allowEmptyState: true,
    // Public clients refresh without a secret; confidential ones are checked by authenticateClient.
    requireClientAuthentication: { authorization_code: false, refresh_token: false },
  });

  /** Checks the client authentication method really used, then the secret. */
  function authenticateClient(req: http.IncomingMessage, form: FormBody, entry: TokenRequestRecord): NodeOAuth2TestClient {
    const header = req.headers.authorization ?? '';
    let clientId: string | undefined;
    let secret: string | undefined;
    if (/^basic /i.test(header)) {
      entry.authMethod = 'client_secret_basic';
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new HttpError(401, 'invalid_client', 'malformed Basic credentials');
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
      if (form.client_secret !== undefined) {
        throw new HttpError(400, 'invalid_request', 'client authentication must only be provided using one mechanism');
      }
      if (form.client_id !== undefined && form.client_id !== clientId) {
        throw new HttpError(400, 'invalid_request', 'client_id mismatch');
      }
    } else if (form.client_secret !== undefined) {
      entry.authMethod = 'client_secret_post';
      clientId = form.client_id;
      secret = form.client_secret;
    } else {
      entry.authMethod = 'none';
      clientId = form.client_id;
    }
    entry.clientId = clientId;
    const client = clientId === undefined ? undefined : clients.get(clientId);
    if (!client) throw new HttpError(401, 'invalid_client', 'client authentication failed (unknown client)');
    if (client.authMethod !== entry.authMethod) {
      entry.mismatch = true;
      throw new HttpError(401, 'invalid_client', `client authentication method mismatch: used ${entry.authMethod}, registered ${client.authMethod}`);
    }
    if (client.authMethod !== 'none' && !sameSecret(secret ?? '', client.clientSecret ?? '')) {
      throw new HttpError(401, 'invalid_client', 'client authentication failed (wrong secret)');
    }
    return client;
  }

  async function libRespond(
    res: http.ServerResponse,
    run: (request: OAuth2Server.Request, response: OAuth2Server.Response) => Promise<unknown>,
    request: OAuth2Server.Request,
  ): Promise<number> {
    const response = new OAuth2Server.Response();
    try {
      await run(request, response);
    } catch (e) {
      // Errors after the redirect URI was validated come with a redirect (error=...&state=...).
      if (!response.get('location')) {
        const err = e as { code?: number; name?: string; message?: string };
        const status = typeof err.code === 'number' ? err.code : 500;
        send(res, status, { error: err.name ?? 'server_error', error_description: err.message ?? '' }, response.headers);
        return status;
      }
    }
    const status = response.status ?? 200;
    const headers = { ...(response.headers ?? {}) };
    if (status >= 300 && status < 400) {
      res.writeHead(status, { ...headers, 'cache-control': 'no-store' });
      res.end();
    } else {
      send(res, status, response.body, headers);
    }
    return status;
  }

  async function handleAuthorize(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const query = Object.fromEntries(url.searchParams);
    const account = query.test_account;
    const decision = query.test_decision ?? 'approve';
    if (!account || !ACCOUNTS[account] || (decision !== 'approve' && decision !== 'deny')) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        '<!doctype html><title>Sign in</title><p>Test login: add test_account=alice|bob|carol and ' +
          'test_decision=approve|deny to the authorization request.</p>',
      );
      return;
    }
    delete query.test_account;
    delete query.test_decision;
    delete query.allowed;
    if (decision === 'deny') query.allowed = 'false';
    const request = new OAuth2Server.Request({ method: 'GET', headers: headersOf(req), query, body: {} });
    await libRespond(res, (rq, rs) => oauth.authorize(rq, rs, { authenticateHandler: { handle: () => ({ id: account }) } }), request);
  }

  function headersOf(req: http.IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
    return out;
  }

  async function handleToken(req: http.IncomingMessage, res: http.ServerResponse, form: FormBody, entry: TokenRequestRecord): Promise<number> {
    entry.grantType = form.grant_type;
    entry.refreshToken = form.refresh_token;
    const client = authenticateClient(req, form, entry);
    // Hand the library a request whose client is already authenticated: client_id only.
    const headers = headersOf(req);
    delete headers.authorization;
    const body: FormBody = { ...form, client_id: client.clientId };
    delete body.client_secret;
    const request = new OAuth2Server.Request({ method: 'POST', headers, query: {}, body });
    return libRespond(res, (rq, rs) => oauth.token(rq, rs), request);
  }

  function handleRevoke(req: http.IncomingMessage, res: http.ServerResponse, form: FormBody, entry: TokenRequestRecord): number {
    const client = authenticateClient(req, form, entry);
    if (!form.token) throw new HttpError(400, 'invalid_request', 'missing required parameter token');
    // token_type_hint may be ignored (RFC 7009 2.1): one map holds both kinds of token.
    const t = tokens.get(form.token);
    if (t) {
      if (t.clientId !== client.clientId) {
        throw new HttpError(400, 'invalid_request', 'client is not authorized to revoke the presented token');
      }
      if (t.kind === 'refresh_token') revokeFamily(t.user.familyId);
      else t.revoked = true;
    }
    send(res, 200, undefined);
    return 200;
  }

  function handleIntrospect(req: http.IncomingMessage, res: http.ServerResponse, form: FormBody, entry: TokenRequestRecord): number {
    const client = authenticateClient(req, form, entry);
    if (!form.token) throw new HttpError(400, 'invalid_request', 'missing required parameter token');
    const t = liveToken(form.token);
    // Public clients may only introspect their own tokens.
    if (!t || (client.authMethod === 'none' && t.clientId !== client.clientId)) {
      send(res, 200, { active: false });
      return 200;
    }
    const account = ACCOUNTS[t.user.id];
    send(res, 200, {
      active: true,
      client_id: t.clientId,
      sub: t.user.id,
      username: account?.preferred_username,
      scope: t.scope?.join(' ') || undefined,
      token_type: t.kind === 'access_token' ? 'Bearer' : undefined,
      exp: t.expiresAt ? Math.floor(t.expiresAt.getTime() / 1000) : undefined,
      iat: t.issuedAt,
      iss: issuer,
    });
    return 200;
  }

  async function handleUserinfo(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const request = new OAuth2Server.Request({ method: req.method ?? 'GET', headers: headersOf(req), query: {}, body: {} });
    const response = new OAuth2Server.Response();
    try {
      const token = await oauth.authenticate(request, response);
      const account = ACCOUNTS[(token.user as TestUser).id];
      if (!account) throw new HttpError(401, 'invalid_token', 'account not found');
      send(res, 200, { ...account });
    } catch (e) {
      const err = e as { code?: number; name?: string; message?: string };
      const status = typeof err.code === 'number' ? err.code : e instanceof HttpError ? e.status : 500;
      const headers = { ...(response.headers ?? {}) };
      if (status === 401 && !headers['www-authenticate']) headers['www-authenticate'] = 'Bearer error="invalid_token"';
      send(res, status, { error: e instanceof HttpError ? e.error : err.name, error_description: err.message }, headers);
    }
  }

  const CLIENT_ROUTES: Record<string, 'token' | 'revocation' | 'introspection'> = {
    '/token': 'token',
    '/revoke': 'revocation',
    '/introspect': 'introspection',
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const route = req.method === 'POST' ? CLIENT_ROUTES[url.pathname] : undefined;
    if (route) {
      const entry: TokenRequestRecord = { route, authMethod: 'none' };
      requests.push(entry);
      try {
        const form = await readForm(req);
        if (route === 'token') entry.status = await handleToken(req, res, form, entry);
        else if (route === 'revocation') entry.status = handleRevoke(req, res, form, entry);
        else entry.status = handleIntrospect(req, res, form, entry);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        entry.status = e.status;
        const headers: Record<string, string> = e.status === 401 && req.headers.authorization ? { 'www-authenticate': 'Basic realm="test"' } : {};
        send(res, e.status, { error: e.error, error_description: e.description }, headers);
      }
      return;
    }
    if (url.pathname === '/authorize' && req.method === 'GET') return handleAuthorize(req, res, url);
    if (url.pathname === '/userinfo' && (req.method === 'GET' || req.method === 'POST')) return handleUserinfo(req, res);
    if (url.pathname === '/test/requests' && req.method === 'GET') return send(res, 200, requests);
    if (url.pathname === '/test/requests/reset' && req.method === 'POST') {
      requests.length = 0;
      return send(res, 200, { ok: true });
    }
    send(res, 404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(e) });
      else res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('node-oauth2-server: no TCP address');
  issuer = `http://127.0.0.1:${address.port}`;

  const endpoints = {
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    revocation: `${issuer}/revoke`,
    introspection: `${issuer}/introspect`,
    userinfo: `${issuer}/userinfo`,
  };

  let closed: Promise<void> | undefined;
  return {
    issuer,
    endpoints,
    introspect: (token, client) => introspectAt(endpoints.introspection, token, client),
    async tokenRequests() {
      return requests.map((r) => ({ ...r }));
    },
    async resetTokenRequests() {
      requests.length = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
