/**
 * Real OAuth 2.0 authorization servers on 127.0.0.1 for integration tests.
 *
 * - startOidcProvider(): panva's oidc-provider (ESM-only), run as a child process
 *   (test/servers/oidc-server.mjs). Endpoints come from its discovery document.
 * - startNodeOAuth2Server(): @node-oauth/oauth2-server, in the jest process
 *   (test/servers/node-oauth2-server.ts).
 *
 * Both check which client authentication method a client really used at the token, revocation and
 * introspection endpoints (401 invalid_client on a mismatch) and record those requests
 * (tokenRequests()). Log in with test/support/user-agent.ts (authorizeAs).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';

import { introspectAt } from '../servers/node-oauth2-server';

export { startNodeOAuth2Server } from '../servers/node-oauth2-server';
export type { NodeOAuth2ServerConfig, NodeOAuth2TestClient } from '../servers/node-oauth2-server';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** How a test authenticates as a registered client (introspection, revocation, token calls). */
export interface TestClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** client_secret_basic | client_secret_post | none: the method to USE for this call. */
  authMethod: string;
}

/** One request seen at the token, revocation or introspection endpoint. */
export interface TokenRequestRecord {
  /** 'token' | 'revocation' | 'introspection' */
  route: string;
  /** The method the client really used: client_secret_basic | client_secret_post | none. */
  authMethod: string;
  clientId?: string;
  grantType?: string;
  /** The refresh_token parameter value, when one was sent (test-only server). */
  refreshToken?: string;
  /** HTTP status of the answer. */
  status?: number;
  /** true when the server rejected the request for an auth-method mismatch. */
  mismatch?: boolean;
}

export interface TestAuthServer {
  /** e.g. http://127.0.0.1:41234 */
  issuer: string;
  endpoints: { authorization: string; token: string; revocation: string; introspection: string; userinfo: string };
  /** RFC 7662 introspection through the server's real introspection endpoint, as `client`. */
  introspect(token: string, client: TestClientCredentials): Promise<{ active: boolean; [k: string]: unknown }>;
  /** Every token / revocation / introspection request so far (oldest first). */
  tokenRequests(): Promise<TokenRequestRecord[]>;
  /** Forget the recorded requests. */
  resetTokenRequests(): Promise<void>;
  close(): Promise<void>;
}

export interface OidcTestClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: ClientAuthMethod;
  /** Must match the client's redirect_uri exactly (port included). */
  redirect_uris: string[];
  /** true: every refresh rotates the refresh token; false/unset: the same refresh token comes back. */
  rotateRefreshToken?: boolean;
}

export interface OidcTestConfig {
  clients: OidcTestClient[];
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTTL?: number;
  /** Extra plain OAuth scopes besides openid/offline_access/email/profile, e.g. ['chat:read']. */
  scopes?: string[];
  /**
   * 'always' (default): a refresh token with every grant of a client allowed to refresh.
   * 'openid-default': oidc-provider's own policy, OpenID Connect Core 1.0 §11: a refresh token only
   * when `offline_access` was asked for together with `prompt=consent`.
   */
  refreshPolicy?: 'always' | 'openid-default';
}

const OIDC_SERVER_SCRIPT = path.resolve(__dirname, '..', 'servers', 'oidc-server.mjs');
const READY_TIMEOUT_MS = 10_000;
const STDERR_KEEP = 8 * 1024;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  userinfo_endpoint: string;
}

function waitForReady(child: ChildProcessWithoutNullStreams, stderr: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let stdout = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const fail = (message: string): void => {
      cleanup();
      const err = stderr().trim();
      reject(new Error(`oidc test server: ${message}${err ? `\n--- stderr ---\n${err}` : ''}`));
    };
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      const line = stdout.slice(0, newline);
      try {
        const parsed = JSON.parse(line) as { ready?: boolean; issuer?: string };
        if (parsed.ready === true && typeof parsed.issuer === 'string') {
          cleanup();
          resolve(parsed.issuer);
          return;
        }
      } catch {
        // fall through
      }
      fail(`unexpected first stdout line: ${line.slice(0, 200)}`);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited before ready (code ${code}, signal ${signal})`);
    const onError = (e: Error): void => fail(`could not start: ${e.message}`);
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Start oidc-provider in a child process (about 0.3 s) and read its discovery document.
 * Register every redirect URI exactly as the client will send it.
 */
export async function startOidcProvider(config: OidcTestConfig): Promise<TestAuthServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, OIDC_TEST_CONFIG: JSON.stringify(config) };
  // The server must not depend on the test runner's environment (jest sets NODE_ENV=test;
  // NODE_OPTIONS could carry --inspect or loaders meant for the parent).
  env.NODE_ENV = 'production';
  delete env.NODE_OPTIONS;

  const child = spawn(process.execPath, [OIDC_SERVER_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  // Keep draining stdout after the ready line so the child never blocks on a full pipe.
  child.stdout.on('data', () => undefined);

  let issuer: string;
  let discovery: Discovery;
  try {
    issuer = await waitForReady(child, () => stderr);
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (!res.ok) throw new Error(`oidc test server: discovery answered ${res.status}`);
    discovery = (await res.json()) as Discovery;
  } catch (err) {
    await stopChild(child);
    throw err;
  }

  const endpoints = {
    authorization: discovery.authorization_endpoint,
    token: discovery.token_endpoint,
    revocation: discovery.revocation_endpoint,
    introspection: discovery.introspection_endpoint,
    userinfo: discovery.userinfo_endpoint,
  };

  let closed: Promise<void> | undefined;
  return {
    issuer,
    endpoints,
    introspect: (token, client) => introspectAt(endpoints.introspection, token, client),
    async tokenRequests() {
      const res = await fetch(`${issuer}/test/requests`);
      return (await res.json()) as TokenRequestRecord[];
    },
    async resetTokenRequests() {
      const res = await fetch(`${issuer}/test/requests/reset`, { method: 'POST' });
      await res.arrayBuffer();
    },
    close() {
      closed ??= stopChild(child);
      return closed;
    },
  };
}

/** What a server saw of refresh grants (counts only, never a token): for tests of many refresh cycles. */
export interface RefreshGrantCounts {
  /** refresh_token grants received. */
  total: number;
  /** Answered 200. */
  succeeded: number;
  /** Answered with an error status (400 invalid_grant for a refresh token already rotated, say). */
  failed: number;
  /** Not answered yet when counted. */
  pending: number;
  /** Refresh tokens sent in more than one grant: with rotation, each is a refresh raced by two callers. */
  reused: number;
  /** HTTP status (or 'pending') -> grants. */
  byStatus: Record<string, number>;
}

/**
 * Counts the refresh grants among a server's recorded token requests (tokenRequests(), since the last
 * resetTokenRequests()). Works with every TestAuthServer (oidc-provider and node-oauth2-server).
 */
export async function refreshGrantCounts(server: Pick<TestAuthServer, 'tokenRequests'>): Promise<RefreshGrantCounts> {
  const grants = (await server.tokenRequests()).filter((request) => request.route === 'token' && request.grantType === 'refresh_token');
  const byStatus: Record<string, number> = {};
  const sent = new Map<string, number>();
  for (const grant of grants) {
    const status = grant.status === undefined ? 'pending' : String(grant.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (grant.refreshToken !== undefined) sent.set(grant.refreshToken, (sent.get(grant.refreshToken) ?? 0) + 1);
  }
  const succeeded = byStatus['200'] ?? 0;
  const pending = byStatus.pending ?? 0;
  return {
    total: grants.length,
    succeeded,
    failed: grants.length - succeeded - pending,
    pending,
    reused: [...sent.values()].filter((times) => times > 1).length,
    byStatus,
  };
}
