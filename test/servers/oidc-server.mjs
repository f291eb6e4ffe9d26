// Test-only OAuth 2.0 / OpenID Connect authorization server built on panva's oidc-provider.
//
// oidc-provider is ESM-only, so jest (CommonJS) runs this file as a child process:
//   OIDC_TEST_CONFIG='{"clients":[...]}' node test/servers/oidc-server.mjs
// It listens on 127.0.0.1 (random port) and prints exactly one line on stdout:
//   {"ready":true,"issuer":"http://127.0.0.1:<port>"}
// Everything else (real errors) goes to stderr. SIGTERM, SIGINT or the parent closing our stdin
// make it exit.
//
// Config (JSON in OIDC_TEST_CONFIG):
//   { clients: [{ client_id, client_secret?, token_endpoint_auth_method, redirect_uris, rotateRefreshToken? }],
//     accessTokenTTL?: number (seconds, default 3600), scopes?: string[] (extra plain OAuth scopes),
//     refreshPolicy?: 'always' (default) | 'openid-default' (refresh tokens only for offline_access + prompt=consent) }
//
// Extra routes for tests (never part of a real server):
//   GET  /interaction/:uid                  tiny HTML page (login pending)
//   GET  /interaction/:uid/login?account=X  finishes login as alice|bob|carol (303 back to the provider)
//   GET  /interaction/:uid/deny             finishes with access_denied
//   GET  /test/requests                     every token/revocation/introspection request seen (JSON list)
//   POST /test/requests/reset               clears that list
// Tests introspect through the real /token/introspection endpoint with a client's credentials.

import * as http from 'node:http';
import * as querystring from 'node:querystring';

// ---------------------------------------------------------------------------------------------
// Keep stdout for the ready line only and drop oidc-provider's development notices
// ("Unsupported runtime", dev adapter / dev keys / "you SHOULD change" notices). They go through
// console.warn (stderr) and console.info (stdout!). Anything else is kept, on stderr.
const isProviderNoise = (args) => typeof args[0] === 'string' && args[0].startsWith('oidc-provider ');
for (const level of ['log', 'info', 'warn', 'debug']) {
  console[level] = (...args) => {
    if (!isProviderNoise(args)) process.stderr.write(`${args.map(String).join(' ')}\n`);
  };
}

// Imported only after the console is patched (the runtime warning is printed at import time).
const { default: Provider } = await import('oidc-provider');

const rawConfig = process.env.OIDC_TEST_CONFIG;
if (!rawConfig) {
  process.stderr.write('OIDC_TEST_CONFIG is not set\n');
  process.exit(2);
}
const testConfig = JSON.parse(rawConfig);
if (!Array.isArray(testConfig.clients) || testConfig.clients.length === 0) {
  process.stderr.write('OIDC_TEST_CONFIG.clients must be a non-empty array\n');
  process.exit(2);
}

const accessTokenTTL = testConfig.accessTokenTTL ?? 3600;
const extraScopes = testConfig.scopes ?? [];
const registered = new Map(testConfig.clients.map((c) => [c.client_id, c]));

// Fixed demo accounts.
const ACCOUNTS = {
  alice: { sub: 'alice', name: 'Alice Example', email: 'alice@example.test', preferred_username: 'alice' },
  bob: { sub: 'bob', name: 'Bob Example', email: 'bob@example.test', preferred_username: 'bob' },
  carol: { sub: 'carol', name: 'Carol Example', email: 'carol@example.test', preferred_username: 'carol' },
};

// One resource server stands for "the API" every plain OAuth scope belongs to.
const RESOURCE = 'urn:oauth-connector:test-api';

// Fixed routes, so the auth-method check below can match on paths before the router runs.
const ROUTES = {
  authorization: '/auth',
  token: '/token',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  userinfo: '/me',
};
const CLIENT_AUTH_ROUTES = new Map([
  [ROUTES.token, 'token'],
  [ROUTES.revocation, 'revocation'],
  [ROUTES.introspection, 'introspection'],
]);

// Skip consent: after login, the grant simply covers whatever was asked for
// (OIDC/static scopes, requested claims and the resource server's scopes).
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant) {
    grant = new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
  }
  const oidcScope = [...oidc.requestParamOIDCScopes].join(' ');
  if (oidcScope) grant.addOIDCScope(oidcScope);
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers)) {
    const scope = [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s));
    if (scope.length) grant.addResourceScope(indicator, scope.join(' '));
  }
  await grant.save();
  return grant;
}

// ---------------------------------------------------------------------------------------------
// HTTP server first (port 0), then the provider with the real issuer.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handler(req, res));
server.keepAliveTimeout = 1000;
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: testConfig.clients.map((c) => ({
    client_id: c.client_id,
    ...(c.client_secret !== undefined && c.token_endpoint_auth_method !== 'none' ? { client_secret: c.client_secret } : {}),
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  })),
  // Plain OAuth scopes (chat:read ...) are listed as static scopes too: that is what lets a token
  // that carries openid (no audience, usable at userinfo) carry them as well. See useGrantedResource.
  scopes: ['openid', 'offline_access', ...extraScopes],
  claims: {
    openid: ['sub'],
    email: ['email'],
    profile: ['name', 'preferred_username'],
  },
  findAccount: async (_ctx, id) => {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ ...account }) };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      // Trap: a token bound to a resource server has an audience, and oidc-provider's userinfo
      // endpoint rejects any token with an audience ("token audience prevents accessing the
      // userinfo endpoint"). So when openid was requested we do NOT bind the token to the granted
      // resource: it is a userinfo-capable opaque token whose scope still includes the plain scopes
      // (they are static scopes, see `scopes`). Without openid the token is bound to RESOURCE.
      useGrantedResource: async (_ctx, model) => !model.scopes.has('openid'),
      getResourceServerInfo: async () => ({
        scope: extraScopes.join(' '),
        audience: RESOURCE,
        accessTokenTTL,
        accessTokenFormat: 'opaque',
      }),
    },
  },
  pkce: { required: () => true },
  // 'always': every grant of a client allowed to refresh gets a refresh token. 'openid-default':
  // oidc-provider's own default, which follows OpenID Connect Core 1.0 §11: only when offline_access
  // was granted, which it is only together with prompt=consent.
  ...(testConfig.refreshPolicy === 'openid-default' ? {} : { issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token') }),
  rotateRefreshToken: (ctx) => registered.get(ctx.oidc.client?.clientId)?.rotateRefreshToken === true,
  ttl: {
    AccessToken: accessTokenTTL,
    AuthorizationCode: 60,
    Grant: 14 * 24 * 3600,
    Interaction: 600,
    Session: 3600,
    RefreshToken: 14 * 24 * 3600,
  },
  routes: ROUTES,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  loadExistingGrant,
  cookies: { keys: ['oidc-test-server-cookie-key'] },
});

// Static clients are only validated when first used: load them now so a bad test config fails
// at start-up (the error goes to stderr, which startOidcProvider() puts in its error message).
for (const { client_id: id } of testConfig.clients) {
  try {
    if (!(await provider.Client.find(id))) throw new Error('not found');
  } catch (err) {
    process.stderr.write(`invalid client ${id}: ${err?.error_description ?? err?.message ?? err}\n`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Client authentication method check + request log.
//
// oidc-provider accepts Basic for a client_secret_post client and the reverse, so the test server
// checks the method itself, BEFORE the provider acts (no code consumed, no refresh token rotated
// by a rejected request): the form body is read here and handed to the provider as a pre-parsed
// body (lib/shared/selective_body.js falls back to req.body when the stream was consumed; the
// one-time "already parsed request body" notice is silenced above).
const requests = [];
const BODY_LIMIT = 56 * 1024;

async function readRawBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const str = (v) => (typeof v === 'string' ? v : undefined);

function usedClientAuth(header, form) {
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    let clientId = user;
    try {
      clientId = decodeURIComponent(user.replace(/\+/g, '%20'));
    } catch {
      // keep the raw value
    }
    return { method: 'client_secret_basic', clientId };
  }
  const clientId = str(form.client_id);
  if (form.client_secret !== undefined) return { method: 'client_secret_post', clientId };
  return { method: 'none', clientId };
}

provider.use(async (ctx, next) => {
  const routeName = ctx.method === 'POST' ? CLIENT_AUTH_ROUTES.get(ctx.path) : undefined;
  if (!routeName) {
    await next();
    return;
  }

  let form = {};
  if (ctx.is('application/x-www-form-urlencoded')) {
    const raw = await readRawBody(ctx.req);
    ctx.req.body = raw;
    form = querystring.parse(raw.toString('utf8'));
  }
  const used = usedClientAuth(ctx.get('authorization'), form);
  const entry = {
    route: routeName,
    authMethod: used.method,
    clientId: used.clientId,
    grantType: str(form.grant_type),
    refreshToken: str(form.refresh_token),
    status: undefined,
  };
  requests.push(entry);

  const client = used.clientId !== undefined ? registered.get(used.clientId) : undefined;
  if (client && client.token_endpoint_auth_method !== used.method) {
    ctx.status = 401;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      error: 'invalid_client',
      error_description: `client authentication method mismatch: used ${used.method}, registered ${client.token_endpoint_auth_method}`,
    };
    entry.status = 401;
    entry.mismatch = true;
    return;
  }

  try {
    await next();
  } finally {
    entry.status = ctx.status;
  }
});

// ---------------------------------------------------------------------------------------------
// Own routes, handled before provider.callback().
const callback = provider.callback();

function send(res, status, type, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}
const sendJson = (res, status, value) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function finish(req, res, uid, result) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, 'text/plain; charset=utf-8', 'interaction uid does not match the interaction cookie');
    return;
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

handler = async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', issuer);
    const path = url.pathname;
    const interaction = /^\/interaction\/([^/]+)(\/login|\/deny)?$/.exec(path);

    if (interaction && req.method === 'GET') {
      const [, uid, action] = interaction;
      if (!action) {
        send(
          res,
          200,
          'text/html; charset=utf-8',
          `<!doctype html><title>Sign in</title><p>Test login for interaction ${escapeHtml(uid)}: ` +
            'use <code>login?account=alice</code> or <code>deny</code>.</p>',
        );
        return;
      }
      if (action === '/deny') {
        await finish(req, res, uid, { error: 'access_denied', error_description: 'End-User aborted interaction' });
        return;
      }
      const account = url.searchParams.get('account') ?? '';
      if (!Object.prototype.hasOwnProperty.call(ACCOUNTS, account)) {
        send(res, 400, 'text/plain; charset=utf-8', `unknown test account "${account}" (alice, bob, carol)`);
        return;
      }
      // After login, a prompt=consent request comes back for consent: the user grants what was asked.
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const missing = details.prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
        const grantId = await grant.save();
        await finish(req, res, uid, { consent: { grantId } });
        return;
      }
      await finish(req, res, uid, { login: { accountId: account } });
      return;
    }

    if (path === '/test/requests' && req.method === 'GET') {
      sendJson(res, 200, requests);
      return;
    }
    if (path === '/test/requests/reset' && req.method === 'POST') {
      requests.length = 0;
      sendJson(res, 200, { ok: true });
      return;
    }

    callback(req, res);
  } catch (err) {
    process.stderr.write(`test route error: ${err?.stack ?? err}\n`);
    if (!res.headersSent) send(res, 400, 'text/plain; charset=utf-8', `test route error: ${err?.message ?? err}`);
    else res.end();
  }
};

let exiting = false;
function shutdown() {
  if (exiting) return;
  exiting = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The parent keeps our stdin open; if it goes away (crash, kill -9), so do we.
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
