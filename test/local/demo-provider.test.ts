/**
 * The demo authorization server of `npm start` (tools/sandbox/demo-provider.ts), run in a child process
 * through test/local/demo-provider-launcher.mjs (oidc-provider is ESM-only; jest is CommonJS).
 *
 * A scripted user agent (fetch, redirect: 'manual', its own cookie jar) goes through the server's
 * OWN login and consent pages by posting their forms, then the test exchanges the code (PKCE S256,
 * client_secret_basic), reads userinfo, and restarts the server on the same data folder and port.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const LAUNCHER = path.resolve(__dirname, 'demo-provider-launcher.mjs');
const READY_TIMEOUT_MS = 15_000;

const CLIENT_ID = 'oauth-connector-demo';
const CLIENT_SECRET = 'demo-client-secret';
// Nothing listens there: the flow stops at the redirect (manual redirects).
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
const SCOPE = 'openid profile email offline_access';

interface LaunchOptions {
  port: number;
  dataDir?: string;
  accessTokenTtlSeconds?: number;
}

interface Running {
  issuer: string;
  port: number;
  accounts: Array<{ id: string; name: string; email: string }>;
  stderr(): string;
  /** Output on stdout after the ready line (must stay empty: the server is quiet). */
  extraStdout(): string;
  stop(): Promise<number | null>;
}

function launch(options: LaunchOptions): Promise<Running> {
  const config = {
    ...options,
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
  };
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_PROVIDER_OPTIONS: JSON.stringify(config), NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [LAUNCHER], { env, stdio: ['pipe', 'pipe', 'pipe'] });

  let stderr = '';
  let stdout = '';
  let ready = false;
  let extra = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  const stop = (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', (code) => {
        clearTimeout(killer);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  };

  return new Promise<Running>((resolve, reject) => {
    const fail = (message: string): void => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`demo provider: ${message}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited before ready (code ${code}, signal ${signal})`);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (ready) {
        extra += chunk.toString('utf8');
        return;
      }
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      const line = stdout.slice(0, newline);
      extra = stdout.slice(newline + 1);
      let parsed: { ready?: boolean; issuer?: string; accounts?: Running['accounts'] };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        fail(`unexpected first stdout line: ${line.slice(0, 200)}`);
        return;
      }
      if (parsed.ready !== true || typeof parsed.issuer !== 'string') {
        fail(`unexpected first stdout line: ${line.slice(0, 200)}`);
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve({
        issuer: parsed.issuer,
        port: Number(new URL(parsed.issuer).port),
        accounts: parsed.accounts ?? [],
        stderr: () => stderr,
        extraStdout: () => extra,
        stop,
      });
    });
  });
}

// -------------------------------------------------------------------------------------------------
// A small browser-like user agent.

interface Cookie {
  name: string;
  value: string;
  path: string;
}

class CookieJar {
  private cookies: Cookie[] = [];

  store(res: Response, url: URL): void {
    for (const header of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookiePath = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [rawKey = '', ...rest] = attr.split('=');
        const key = rawKey.trim().toLowerCase();
        const val = rest.join('=').trim();
        if (key === 'path' && val.startsWith('/')) cookiePath = val;
        if (key === 'max-age' && Number(val) <= 0) expired = true;
        if (key === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cookiePath));
      if (!expired) this.cookies.push({ name, value, path: cookiePath });
    }
  }

  header(url: URL): string {
    return this.cookies
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

interface Page {
  url: URL;
  status: number;
  headers: Headers;
  body: string;
}

class Agent {
  readonly jar = new CookieJar();

  private async request(url: URL, init: { method: string; form?: Record<string, string> }): Promise<Page> {
    const headers: Record<string, string> = {};
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method, headers, body, redirect: 'manual' });
    this.jar.store(res, url);
    return { url, status: res.status, headers: res.headers, body: await res.text() };
  }

  /**
   * GET or POST, then follow redirects on the server's own origin. Stops at the first redirect to
   * another origin (the client's callback), returned as `redirectedTo`, or at a page.
   */
  async go(url: URL, form?: Record<string, string>): Promise<{ page: Page; redirectedTo?: URL }> {
    let page = await this.request(url, { method: form ? 'POST' : 'GET', form });
    for (let hops = 0; hops < 20; hops += 1) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status >= 400 || !location) return { page };
      const next = new URL(location, page.url);
      if (next.origin !== url.origin) return { page, redirectedTo: next };
      page = await this.request(next, { method: 'GET' });
    }
    throw new Error('too many redirects');
  }
}

/** The `action` of the form with this id, resolved against the page. */
function formAction(page: Page, formId: string): URL {
  const match = new RegExp(`<form id="${formId}" method="post" action="([^"]+)"`).exec(page.body);
  if (!match?.[1]) throw new Error(`no form #${formId} on ${page.url.href}:\n${page.body.slice(0, 500)}`);
  return new URL(match[1].replace(/&#38;/g, '&'), page.url);
}

// -------------------------------------------------------------------------------------------------

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
  authorization_response_iss_parameter_supported: boolean;
  token_endpoint_auth_methods_supported: string[];
  scopes_supported: string[];
}

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  return (await res.json()) as Discovery;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(d: Discovery, state: string, challenge: string): URL {
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url;
}

const basicAuth = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;

async function tokenRequest(d: Discovery, params: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(d.token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function userinfo(d: Discovery, accessToken: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(d.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** From the authorization endpoint to the login page. */
async function openLoginPage(agent: Agent, d: Discovery, state: string, challenge: string): Promise<Page> {
  const { page, redirectedTo } = await agent.go(authorizationUrl(d, state, challenge));
  expect(redirectedTo).toBeUndefined();
  expect(page.status).toBe(200);
  expect(page.url.pathname).toMatch(/^\/interaction\/[\w-]+$/);
  return page;
}

/** Sign in and allow: returns the callback URL with the code. */
async function signInAndConsent(agent: Agent, d: Discovery, account: string, state: string, challenge: string): Promise<URL> {
  const login = await openLoginPage(agent, d, state, challenge);
  const afterLogin = await agent.go(formAction(login, 'login-form'), { login: account, password: 'demo' });
  expect(afterLogin.redirectedTo).toBeUndefined();
  const consent = afterLogin.page;
  expect(consent.status).toBe(200);
  expect(consent.body).toContain('id="consent"');
  const { redirectedTo } = await agent.go(formAction(consent, 'consent-form'), {});
  if (!redirectedTo) throw new Error('consent did not redirect to the client');
  return redirectedTo;
}

// -------------------------------------------------------------------------------------------------

describe('demo authorization server (tools/sandbox/demo-provider.ts)', () => {
  const started: Running[] = [];
  const tmpDirs: string[] = [];

  async function start(options: LaunchOptions): Promise<Running> {
    const running = await launch(options);
    started.push(running);
    return running;
  }

  afterAll(async () => {
    await Promise.all(started.map((r) => r.stop()));
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('in memory', () => {
    let server: Running;
    let d: Discovery;

    beforeAll(async () => {
      server = await start({ port: 0 });
      d = await discover(server.issuer);
    });

    it('serves discovery with PKCE S256, iss in responses, revocation, introspection and userinfo', () => {
      expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.accounts.map((a) => a.id)).toEqual(['alice', 'bob', 'carol']);
      expect(d.issuer).toBe(server.issuer);
      expect(d.authorization_endpoint).toBe(`${server.issuer}/auth`);
      expect(d.token_endpoint).toBe(`${server.issuer}/token`);
      expect(d.userinfo_endpoint).toBe(`${server.issuer}/me`);
      expect(d.revocation_endpoint).toBe(`${server.issuer}/token/revocation`);
      expect(d.introspection_endpoint).toBe(`${server.issuer}/token/introspection`);
      expect(d.code_challenge_methods_supported).toEqual(['S256']);
      expect(d.authorization_response_iss_parameter_supported).toBe(true);
      expect(d.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
      expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
    });

    it('shows its own login page (demo accounts and password named, restrictive CSP)', async () => {
      const agent = new Agent();
      const page = await openLoginPage(agent, d, 'st-page', pkce().challenge);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
      expect(csp).not.toContain('unsafe-inline');
      for (const fragment of ['id="login"', 'name="login"', 'id="password"', 'name="password"', 'id="submit"', 'id="cancel"']) {
        expect(page.body).toContain(fragment);
      }
      expect(page.body).toContain('<code>alice</code>');
      expect(page.body).toContain('<code>demo</code>');
      expect(page.body).not.toMatch(/<script/i);
    });

    it('keeps a wrong password or an unknown account on the login page with a message', async () => {
      const agent = new Agent();
      const login = await openLoginPage(agent, d, 'st-wrong', pkce().challenge);
      const action = formAction(login, 'login-form');

      const wrong = await agent.go(action, { login: 'alice', password: 'nope' });
      expect(wrong.redirectedTo).toBeUndefined();
      expect(wrong.page.status).toBe(200);
      expect(wrong.page.body).toContain('id="error"');
      expect(wrong.page.body).toContain('Unknown account or wrong password');
      expect(wrong.page.body).toContain('value="alice"');
      expect(wrong.page.body).toContain('id="login-form"');

      const unknown = await agent.go(action, { login: '<mallory>', password: 'demo' });
      expect(unknown.page.status).toBe(200);
      expect(unknown.page.body).toContain('Unknown account or wrong password');
      expect(unknown.page.body).toContain('value="&#60;mallory&#62;"');
      expect(unknown.page.body).not.toContain('<mallory>');

      // The same interaction still works afterwards.
      const ok = await agent.go(action, { login: 'alice', password: 'demo' });
      expect(ok.page.body).toContain('id="consent"');
    });

    it('Deny on the consent page gives error=access_denied to the client', async () => {
      const agent = new Agent();
      const login = await openLoginPage(agent, d, 'st-deny', pkce().challenge);
      const consent = await agent.go(formAction(login, 'login-form'), { login: 'bob', password: 'demo' });
      expect(consent.page.body).toContain('Bob Example');
      const { redirectedTo } = await agent.go(formAction(consent.page, 'deny-form'), {});
      expect(redirectedTo).toBeDefined();
      expect(`${redirectedTo?.origin}${redirectedTo?.pathname}`).toBe(REDIRECT_URI);
      expect(redirectedTo?.searchParams.get('error')).toBe('access_denied');
      expect(redirectedTo?.searchParams.get('state')).toBe('st-deny');
      expect(redirectedTo?.searchParams.get('iss')).toBe(server.issuer);
      expect(redirectedTo?.searchParams.get('code')).toBeNull();
    });

    it('Cancel on the login page gives error=access_denied too', async () => {
      const agent = new Agent();
      const login = await openLoginPage(agent, d, 'st-cancel', pkce().challenge);
      const { redirectedTo } = await agent.go(formAction(login, 'cancel-form'), {});
      expect(redirectedTo?.searchParams.get('error')).toBe('access_denied');
      expect(redirectedTo?.searchParams.get('state')).toBe('st-cancel');
    });

    it('requires PKCE (S256) for the confidential client', async () => {
      const url = authorizationUrl(d, 'st-nopkce', 'unused');
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const { redirectedTo } = await new Agent().go(url);
      expect(redirectedTo?.searchParams.get('error')).toBe('invalid_request');
      expect(redirectedTo?.searchParams.get('error_description')).toMatch(/PKCE/);

      const plain = authorizationUrl(d, 'st-plain', 'a'.repeat(43));
      plain.searchParams.set('code_challenge_method', 'plain');
      const refused = await new Agent().go(plain);
      expect(refused.redirectedTo?.searchParams.get('error')).toBe('invalid_request');
    });

    it('is quiet: nothing but the ready line on stdout, nothing on stderr', () => {
      expect(server.extraStdout()).toBe('');
      expect(server.stderr()).toBe('');
    });
  });

  describe('with a data folder, across a restart', () => {
    it('signs alice in, and after a restart her refresh token and access token still work', async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-provider-test-'));
      tmpDirs.push(tmp);
      const dataDir = path.join(tmp, 'data');

      const first = await start({ port: 0, dataDir, accessTokenTtlSeconds: 600 });
      const d = await discover(first.issuer);

      // Login + consent through the server's own pages.
      const agent = new Agent();
      const { verifier, challenge } = pkce();
      const callback = await signInAndConsent(agent, d, 'alice', 'st-alice', challenge);
      expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
      expect(callback.searchParams.get('state')).toBe('st-alice');
      expect(callback.searchParams.get('iss')).toBe(first.issuer);
      const code = callback.searchParams.get('code');
      expect(code).toBeTruthy();

      // PKCE is enforced: a wrong verifier is refused; then the right one, with Basic auth.
      const badPkce = await tokenRequest(d, {
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce().verifier,
      });
      expect(badPkce.status).toBe(400);
      expect(badPkce.json.error).toBe('invalid_grant');

      const exchanged = await tokenRequest(d, {
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      });
      expect(exchanged.status).toBe(200);
      const tokens = exchanged.json as unknown as TokenResponse;
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.expires_in).toBeGreaterThan(590);
      expect(tokens.expires_in).toBeLessThanOrEqual(600);
      expect(typeof tokens.access_token).toBe('string');
      expect(typeof tokens.refresh_token).toBe('string');
      expect(typeof tokens.id_token).toBe('string');
      // OpenID Connect drops offline_access from the grant without prompt=consent; the refresh token
      // comes anyway (issued to every client allowed the grant type).
      expect((tokens.scope ?? '').split(' ').sort()).toEqual(['email', 'openid', 'profile']);

      const me = await userinfo(d, tokens.access_token);
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({
        sub: 'alice',
        preferred_username: 'alice',
        name: 'Alice Example',
        email: 'alice@example.test',
      });

      // Introspection with the client's credentials.
      const introspection = await fetch(d.introspection_endpoint, {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      });
      expect(await introspection.json()).toMatchObject({ active: true, client_id: CLIENT_ID, sub: 'alice' });

      // Restart on the same folder and port.
      expect(await first.stop()).toBe(0);
      expect(first.stderr()).toBe('');
      expect(first.extraStdout()).toBe('');

      const mode = (p: string): number => fs.statSync(p).mode & 0o777;
      expect(mode(dataDir)).toBe(0o700);
      const files = fs.readdirSync(dataDir).sort();
      expect(files).toEqual(['keys.json', 'store.json']);
      for (const file of files) expect(mode(path.join(dataDir, file))).toBe(0o600);

      // A temporary file left by a crash in the middle of a write is cleaned up at start.
      fs.writeFileSync(path.join(dataDir, 'store.json.12345.0123456789ab.tmp'), '{}', { mode: 0o600 });

      const restarted = await start({ port: first.port, dataDir, accessTokenTtlSeconds: 600 });
      expect(restarted.issuer).toBe(first.issuer);
      const d2 = await discover(restarted.issuer);

      // The access token from before the restart is still accepted.
      const before = await userinfo(d2, tokens.access_token);
      expect(before.status).toBe(200);
      expect(before.json.sub).toBe('alice');

      // The refresh token from before refreshes, and rotates.
      const refreshed = await tokenRequest(d2, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
      expect(refreshed.status).toBe(200);
      const newTokens = refreshed.json as unknown as TokenResponse;
      expect(newTokens.refresh_token).toBeTruthy();
      expect(newTokens.refresh_token).not.toBe(tokens.refresh_token);
      expect(newTokens.access_token).not.toBe(tokens.access_token);

      const after = await userinfo(d2, newTokens.access_token);
      expect(after.status).toBe(200);
      expect(after.json).toMatchObject({ sub: 'alice', preferred_username: 'alice', email: 'alice@example.test' });

      // The browser session and its cookies survived too: the same browser gets a code at once.
      const sso = await agent.go(authorizationUrl(d2, 'st-sso', pkce().challenge));
      expect(sso.redirectedTo?.searchParams.get('code')).toBeTruthy();
      expect(sso.redirectedTo?.searchParams.get('state')).toBe('st-sso');

      // Revocation: revoking the refresh token ends the grant, its access token included.
      const revoked = await fetch(d2.revocation_endpoint, {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: newTokens.refresh_token ?? '', token_type_hint: 'refresh_token' }).toString(),
      });
      expect(revoked.status).toBe(200);
      const inactive = await fetch(d2.introspection_endpoint, {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: newTokens.access_token }).toString(),
      });
      expect(await inactive.json()).toEqual({ active: false });

      // Rotation is on: the old refresh token reused is refused.
      const reused = await tokenRequest(d2, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
      expect(reused.status).toBe(400);
      expect(reused.json.error).toBe('invalid_grant');

      expect(await restarted.stop()).toBe(0);
      expect(restarted.stderr()).toBe('');
      for (const file of fs.readdirSync(dataDir)) expect(mode(path.join(dataDir, file))).toBe(0o600);
      expect(fs.readdirSync(dataDir).sort()).toEqual(['keys.json', 'store.json']);
    });
  });
});
