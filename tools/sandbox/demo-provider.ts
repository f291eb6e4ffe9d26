/**
 * The DEMO authorization server that `npm start` runs for people evaluating the app locally:
 * panva's oidc-provider with its own login and consent pages, three demo accounts (alice, bob,
 * carol; password "demo") and, with a data folder, persistence across restarts.
 *
 * Not the test server (test/servers/oidc-server.mjs): this one is driven by a human in a browser.
 *
 * - oidc-provider is ESM-only and ships no type declarations. It is loaded with a dynamic
 *   `import('oidc-provider')`, which esbuild (format esm, packages external) keeps as an import of
 *   the package, and which lets the console filter below be in place before the package prints its
 *   import-time "Unsupported runtime" warning on Node 20. The bundle must sit where Node resolves
 *   `oidc-provider` (inside the project tree, so node_modules is found).
 * - Endpoints: discovery, /auth, /token (client_secret_basic, PKCE S256 required for every client),
 *   /me (userinfo), /token/revocation, /token/introspection, /jwks, /session/end. Refresh tokens
 *   are issued to every client allowed the refresh_token grant and rotate on every use.
 *   Authorization responses carry `iss` (RFC 9207).
 * - Access tokens are opaque and carry no audience (resource indicators are off): oidc-provider's
 *   userinfo endpoint refuses any token that has an audience.
 * - Pages (plain HTML forms, escaped values, restrictive CSP, no script):
 *     GET  /interaction/:uid           login page or consent page, whichever the interaction needs
 *     POST /interaction/:uid/login     fields `login`, `password`
 *     POST /interaction/:uid/confirm   consent given
 *     POST /interaction/:uid/abort     Cancel (login page) / Deny (consent page): error=access_denied
 * - dataDir: `store.json` (every oidc-provider artifact: sessions, interactions, grants, codes,
 *   tokens; expired ones dropped) and `keys.json` (signing JWKS and cookie keys, made at first
 *   start). Files 0600, folder 0700, atomic writes (temporary file + rename), writes coalesced.
 *   One process per data folder.
 */
import { generateKeyPair, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { listenOn } from './listen';

export interface DemoProviderOptions {
  /** 0 = a random free port. */
  port: number;
  /** Default '127.0.0.1'. The issuer is `http://${host}:${port}` (the real port when 0). */
  host?: string;
  /** Persistence folder; undefined = everything in memory, keys generated per start. */
  dataDir?: string;
  /** Confidential clients: client_secret_basic, PKCE S256 required. */
  clients: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }>;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** The option a port in use tells to change; default '--provider-port' (npm start's). */
  portOption?: string;
}

export interface DemoAccount {
  id: string;
  name: string;
  email: string;
}

export interface DemoProvider {
  issuer: string;
  accounts: DemoAccount[];
  close(): Promise<void>;
}

/** The password of every demo account (the login page says so). */
export const DEMO_PASSWORD = 'demo';

const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: 'alice', name: 'Alice Example', email: 'alice@example.test' },
  { id: 'bob', name: 'Bob Example', email: 'bob@example.test' },
  { id: 'carol', name: 'Carol Example', email: 'carol@example.test' },
];

const STORE_FILE = 'store.json';
const KEYS_FILE = 'keys.json';
const FLUSH_DELAY_MS = 20;
const BODY_LIMIT = 16 * 1024;

const DAY = 24 * 3600;
const TTL = {
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 3600,
  Session: 14 * DAY,
  RefreshToken: 14 * DAY,
  // The grant outlives its refresh tokens: a refresh needs the grant, and rotation gives each new
  // refresh token a fresh lifetime while the grant keeps the one it got at consent.
  Grant: 30 * DAY,
};

// -------------------------------------------------------------------------------------------------
// The slice of oidc-provider's API used here (the package has no type declarations).

type Payload = Record<string, unknown>;

interface OidcInteraction {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface OidcClient {
  clientId: string;
  clientAuthMethod: string;
  redirectUris: string[];
}

interface OidcToken {
  clientId?: string;
}

interface OidcProvider {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  on(event: 'server_error', listener: (ctx: unknown, err: unknown) => void): void;
  Grant: {
    new (properties: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
  Client: { find(id: string): Promise<unknown> };
}

interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: {
    InvalidRequest: new (description: string) => Error;
    SessionNotFound: new (...args: never[]) => Error;
  };
}

/** The minimal koa context the render hooks need. */
interface RenderContext {
  type: string;
  body: unknown;
  set(field: string, value: string): void;
}

// -------------------------------------------------------------------------------------------------
// Console: drop oidc-provider's own development notices, nothing else.
//
// It prints them through console.warn ("oidc-provider WARNING: ...") and console.info
// ("oidc-provider NOTICE: ..."), in bold colours when the stream is a TTY. The configuration below
// avoids every "dev setting" notice (own adapter, keys, interactions, TTLs, pages and policies);
// the filter catches the import-time "Unsupported runtime" warning on Node 20 and any of those
// notices a later version might add. Installed while at least one demo provider is running.

const PROVIDER_NOISE = [
  /^oidc-provider WARNING: Unsupported runtime\b/,
  /^oidc-provider (?:WARNING|NOTICE): default \S+ function called, you (?:SHOULD|MUST) change it\b/,
  /^oidc-provider WARNING: (?:a )?quick start development-only\b/,
];

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;

function isProviderNoise(args: unknown[]): boolean {
  if (typeof args[0] !== 'string') return false;
  const text = args[0].replace(ANSI_ESCAPES, '');
  return PROVIDER_NOISE.some((pattern) => pattern.test(text));
}

let quietUsers = 0;
let restoreConsole: (() => void) | undefined;

/** Start filtering; the returned function stops this user's filtering (idempotent). */
function quietProviderNotices(): () => void {
  quietUsers += 1;
  if (quietUsers === 1) {
    const originalWarn = console.warn;
    const originalInfo = console.info;
    const quietWarn = (...args: unknown[]): void => {
      if (!isProviderNoise(args)) originalWarn.apply(console, args);
    };
    const quietInfo = (...args: unknown[]): void => {
      if (!isProviderNoise(args)) originalInfo.apply(console, args);
    };
    console.warn = quietWarn;
    console.info = quietInfo;
    restoreConsole = () => {
      // Someone else may have replaced them since: leave theirs alone.
      if (console.warn === quietWarn) console.warn = originalWarn;
      if (console.info === quietInfo) console.info = originalInfo;
    };
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    quietUsers -= 1;
    if (quietUsers === 0) {
      restoreConsole?.();
      restoreConsole = undefined;
    }
  };
}

// -------------------------------------------------------------------------------------------------
// Files.

async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await fs.promises.stat(dir);
  if (!stat.isDirectory()) throw new Error(`demo provider data folder ${dir} is not a folder`);
  if ((stat.mode & 0o777) !== 0o700) await fs.promises.chmod(dir, 0o700);
}

/** Write `text` to `file` through a temporary file in the same folder and a rename; mode 0600. */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await fs.promises.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  } catch (err) {
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Temporary files a crash in the middle of writeFileAtomic left behind. */
async function removeStaleTemporaries(dir: string): Promise<void> {
  const pattern = /^(?:store|keys)\.json\.\d+\.[0-9a-f]{12}\.tmp$/; // STORE_FILE, KEYS_FILE
  for (const name of await fs.promises.readdir(dir)) {
    if (pattern.test(name)) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function makePrivate(file: string): Promise<void> {
  const stat = await fs.promises.stat(file);
  if ((stat.mode & 0o777) !== 0o600) await fs.promises.chmod(file, 0o600);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// -------------------------------------------------------------------------------------------------
// Keys: the signing JWKS and the cookie keys, generated at first start, kept in keys.json.

interface KeyMaterial {
  jwks: { keys: Array<Record<string, unknown>> };
  cookieKeys: string[];
}

function generateRsaPrivateJwk(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, privateKey) => {
      if (err) {
        reject(err);
        return;
      }
      const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
      resolve({ ...jwk, kid: randomBytes(12).toString('base64url'), alg: 'RS256', use: 'sig' });
    });
  });
}

async function generateKeyMaterial(): Promise<KeyMaterial> {
  return {
    jwks: { keys: [await generateRsaPrivateJwk()] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

function parseKeyMaterial(text: string, file: string): KeyMaterial {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`demo provider: ${file} is not valid JSON; delete the data folder to start over`);
  }
  const jwks = isRecord(parsed) ? parsed.jwks : undefined;
  const keys = isRecord(jwks) ? jwks.keys : undefined;
  const cookieKeys = isRecord(parsed) ? parsed.cookieKeys : undefined;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => isRecord(k) && typeof k.kty === 'string') ||
    !Array.isArray(cookieKeys) ||
    cookieKeys.length === 0 ||
    !cookieKeys.every((k) => typeof k === 'string' && k.length >= 16)
  ) {
    throw new Error(`demo provider: ${file} does not hold a JWKS and cookie keys; delete the data folder to start over`);
  }
  return { jwks: { keys: keys as Array<Record<string, unknown>> }, cookieKeys: cookieKeys as string[] };
}

async function loadOrCreateKeys(dataDir: string | undefined): Promise<KeyMaterial> {
  if (dataDir === undefined) return generateKeyMaterial();
  const file = path.join(dataDir, KEYS_FILE);
  const text = await readIfExists(file);
  if (text !== undefined) {
    await makePrivate(file);
    return parseKeyMaterial(text, file);
  }
  const material = await generateKeyMaterial();
  await writeFileAtomic(file, `${JSON.stringify({ version: 1, createdAt: new Date().toISOString(), ...material }, null, 2)}\n`);
  return material;
}

// -------------------------------------------------------------------------------------------------
// Artifact store: every oidc-provider model in one map, mirrored to store.json when persistent.

interface StoredEntry {
  payload: Payload;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt?: number;
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

class ArtifactStore {
  private readonly models = new Map<string, Map<string, StoredEntry>>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  private constructor(private readonly file: string | undefined) {}

  static async open(dataDir: string | undefined): Promise<ArtifactStore> {
    if (dataDir === undefined) return new ArtifactStore(undefined);
    const file = path.join(dataDir, STORE_FILE);
    const store = new ArtifactStore(file);
    const text = await readIfExists(file);
    if (text !== undefined) {
      await makePrivate(file);
      if (!store.load(text)) {
        const aside = `${file}.corrupt-${Date.now()}`;
        await fs.promises.rename(file, aside);
        console.warn(`demo provider: ${file} could not be read; moved it to ${aside} and started with no sessions or tokens`);
      }
    }
    return store;
  }

  /** Fill from the file's text, dropping expired entries; false when the text is not a store. */
  private load(text: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (!isRecord(parsed) || !isRecord(parsed.models)) return false;
    const now = Date.now();
    for (const [model, entries] of Object.entries(parsed.models)) {
      if (!isRecord(entries)) continue;
      const map = this.modelMap(model);
      for (const [id, entry] of Object.entries(entries)) {
        if (!isRecord(entry) || !isRecord(entry.payload)) continue;
        const expiresAt = typeof entry.expiresAt === 'number' ? entry.expiresAt : undefined;
        if (expiresAt !== undefined && expiresAt <= now) continue;
        map.set(id, { payload: entry.payload, expiresAt });
      }
    }
    return true;
  }

  private modelMap(model: string): Map<string, StoredEntry> {
    let map = this.models.get(model);
    if (!map) {
      map = new Map();
      this.models.set(model, map);
    }
    return map;
  }

  /** The live entry (expired ones are removed on sight). */
  private entry(model: string, id: string): StoredEntry | undefined {
    const map = this.models.get(model);
    const entry = map?.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      map?.delete(id);
      this.changed();
      return undefined;
    }
    return entry;
  }

  get(model: string, id: string): Payload | undefined {
    const entry = this.entry(model, id);
    return entry ? copy(entry.payload) : undefined;
  }

  findOne(model: string, matches: (payload: Payload) => boolean): Payload | undefined {
    const now = Date.now();
    for (const entry of this.models.get(model)?.values() ?? []) {
      if ((entry.expiresAt === undefined || entry.expiresAt > now) && matches(entry.payload)) return copy(entry.payload);
    }
    return undefined;
  }

  set(model: string, id: string, payload: Payload, expiresInSeconds: number | undefined): void {
    const expiresAt = typeof expiresInSeconds === 'number' ? Date.now() + expiresInSeconds * 1000 : undefined;
    this.modelMap(model).set(id, { payload: copy(payload), expiresAt });
    this.changed();
  }

  update(model: string, id: string, change: (payload: Payload) => void): void {
    const entry = this.entry(model, id);
    if (!entry) return;
    change(entry.payload);
    this.changed();
  }

  delete(model: string, id: string): void {
    if (this.models.get(model)?.delete(id)) this.changed();
  }

  deleteWhere(model: string, matches: (payload: Payload) => boolean): void {
    const map = this.models.get(model);
    if (!map) return;
    for (const [id, entry] of map) {
      if (matches(entry.payload)) {
        map.delete(id);
        this.changed();
      }
    }
  }

  private changed(): void {
    if (this.file === undefined) return;
    this.dirty = true;
    if (this.timer || this.writing) return; // the pending or running flush picks it up
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  private serialize(): string {
    const now = Date.now();
    const models: Record<string, Record<string, StoredEntry>> = {};
    for (const [model, map] of this.models) {
      const entries: Record<string, StoredEntry> = {};
      for (const [id, entry] of map) {
        if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
          map.delete(id);
          continue;
        }
        entries[id] = entry;
      }
      if (Object.keys(entries).length > 0) models[model] = entries;
    }
    return `${JSON.stringify({ version: 1, savedAt: new Date(now).toISOString(), models })}\n`;
  }

  /** Write every pending change; resolves when the file reflects the store. Never rejects. */
  async flush(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.dirty) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.dirty = false;
      this.writing = writeFileAtomic(file, this.serialize())
        .catch((err: unknown) => {
          // The next change tries again; the error itself is a real one, so it is shown.
          console.error(`demo provider: could not save ${file}:`, err);
        })
        .finally(() => {
          this.writing = undefined;
        });
    }
  }
}

/** oidc-provider's adapter interface, one instance per model, all on one store. */
class StoreAdapter {
  constructor(
    private readonly model: string,
    private readonly store: ArtifactStore,
  ) {}

  async upsert(id: string, payload: Payload, expiresIn: number | undefined): Promise<void> {
    this.store.set(this.model, id, payload, expiresIn);
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.store.get(this.model, id);
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return this.store.findOne(this.model, (payload) => payload.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return this.store.findOne(this.model, (payload) => payload.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    this.store.update(this.model, id, (payload) => {
      payload.consumed = Math.floor(Date.now() / 1000);
    });
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.deleteWhere(this.model, (payload) => payload.grantId === grantId);
  }
}

// -------------------------------------------------------------------------------------------------
// Pages.

const escapeHtml = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d1f23;margin:0;padding:40px 16px}',
  'main{max-width:380px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:24px 28px}',
  'h1{font-size:1.4em;margin:0 0 8px}',
  'p{line-height:1.45}',
  '.muted{color:#5f6673;margin-top:0}',
  'label{display:block;font-weight:600;margin:14px 0 4px}',
  'input{box-sizing:border-box;width:100%;padding:8px 10px;font-size:1em;border:1px solid #b9bec7;border-radius:4px}',
  'button{box-sizing:border-box;width:100%;margin-top:16px;padding:9px 10px;font-size:1em;font-weight:600;border:0;border-radius:4px;background:#1d5fd1;color:#fff;cursor:pointer}',
  'button.secondary{background:#e4e7ec;color:#1d1f23;margin-top:8px}',
  '.error{background:#fde8e8;color:#9b1c1c;border-radius:4px;padding:8px 10px}',
  '.hint{background:#eef4ff;border-radius:4px;padding:4px 12px;margin-top:20px;font-size:.92em}',
  'code{font-size:1em;font-weight:600}',
  'ul{padding-left:20px}',
].join('');

const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Sign you in with your account id',
  profile: 'See your name and user name',
  email: 'See your email address',
  offline_access: 'Stay connected while you are away (refresh tokens)',
};

interface PageSecurity {
  /** 'self' plus the client redirect origins: Chromium applies form-action to redirects too. */
  formAction: string;
}

function securityHeaders(security: PageSecurity): Record<string, string> {
  return {
    'Content-Security-Policy':
      `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${security.formAction}; ` + "base-uri 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

function layout(title: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${body}</main></body></html>`
  );
}

const ACCOUNT_HINT =
  '<div class="hint"><p>Demo accounts: <code>alice</code>, <code>bob</code>, <code>carol</code>. ' +
  `The password is <code>${escapeHtml(DEMO_PASSWORD)}</code> for all of them.</p></div>`;

function loginPage(uid: string, clientId: string, login: string, error: string | undefined): string {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  return layout(
    'Sign in - demo authorization server',
    [
      '<h1>Sign in</h1>',
      `<p class="muted">to continue to <strong>${escapeHtml(clientId)}</strong></p>`,
      error ? `<p id="error" class="error" role="alert">${escapeHtml(error)}</p>` : '',
      `<form id="login-form" method="post" action="${escapeHtml(`${base}/login`)}">`,
      '<label for="login">Account</label>',
      `<input id="login" name="login" type="text" value="${escapeHtml(login)}" autocomplete="username" ` +
        `autocapitalize="none" spellcheck="false" required${login ? '' : ' autofocus'}>`,
      '<label for="password">Password</label>',
      `<input id="password" name="password" type="password" autocomplete="current-password" required${login ? ' autofocus' : ''}>`,
      '<button id="submit" name="submit" type="submit">Sign in</button>',
      '</form>',
      `<form id="cancel-form" method="post" action="${escapeHtml(`${base}/abort`)}">`,
      '<button id="cancel" name="cancel" class="secondary" type="submit">Cancel</button>',
      '</form>',
      ACCOUNT_HINT,
    ].join(''),
  );
}

function consentPage(uid: string, clientId: string, account: DemoAccount | undefined, accountId: string, scopes: string[]): string {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  const who = account
    ? `<strong>${escapeHtml(account.name)}</strong> (${escapeHtml(account.id)}, ${escapeHtml(account.email)})`
    : `<strong>${escapeHtml(accountId)}</strong>`;
  const items =
    scopes.length > 0
      ? `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? s)} <small>(${escapeHtml(s)})</small></li>`).join('')}</ul>`
      : '';
  return layout(
    'Allow access - demo authorization server',
    [
      '<h1>Allow access?</h1>',
      `<p><strong>${escapeHtml(clientId)}</strong> asks to use the demo account ${who}. It wants to:</p>`,
      items,
      `<form id="consent-form" method="post" action="${escapeHtml(`${base}/confirm`)}">`,
      '<button id="consent" name="consent" type="submit">Allow</button>',
      '</form>',
      `<form id="deny-form" method="post" action="${escapeHtml(`${base}/abort`)}">`,
      '<button id="deny" name="deny" class="secondary" type="submit">Deny</button>',
      '</form>',
    ].join(''),
  );
}

function messagePage(title: string, message: string): string {
  return layout(`${title} - demo authorization server`, `<h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p>`);
}

function homePage(issuer: string): string {
  return layout(
    'Demo authorization server',
    [
      '<h1>Demo authorization server</h1>',
      '<p>An OpenID Connect provider for trying the app locally. Sign in from the app; this server shows ',
      'its own login and consent pages.</p>',
      `<p>Discovery: <code>${escapeHtml(`${issuer}/.well-known/openid-configuration`)}</code></p>`,
      ACCOUNT_HINT,
    ].join(''),
  );
}

function sendHtml(res: http.ServerResponse, status: number, html: string, security: PageSecurity): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(securityHeaders(security))) res.setHeader(name, value);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(html);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks, size).toString('utf8'));
}

function passwordMatches(given: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(DEMO_PASSWORD, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function findDemoAccount(id: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((account) => account.id === id);
}

// -------------------------------------------------------------------------------------------------
// The server.

function validateOptions(options: DemoProviderOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`demo provider: invalid port ${String(options.port)}`);
  }
  const ttl = options.accessTokenTtlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
    throw new Error(`demo provider: accessTokenTtlSeconds must be a positive whole number, got ${String(ttl)}`);
  }
  if (!Array.isArray(options.clients) || options.clients.length === 0) {
    throw new Error('demo provider: at least one client is required');
  }
  const ids = new Set<string>();
  for (const client of options.clients) {
    if (!client.clientId || ids.has(client.clientId)) throw new Error(`demo provider: missing or repeated client id "${client.clientId}"`);
    ids.add(client.clientId);
    if (!client.clientSecret) throw new Error(`demo provider: client ${client.clientId} has no secret`);
    if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0) {
      throw new Error(`demo provider: client ${client.clientId} has no redirect URI`);
    }
  }
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  validateOptions(options);
  const host = options.host ?? '127.0.0.1';
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 3600;
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);

  const releaseConsole = quietProviderNotices();
  let server: http.Server | undefined;
  let store: ArtifactStore | undefined;
  try {
    // Imported only after the console filter is in place (the runtime warning comes at import).
    // @ts-expect-error -- oidc-provider ships no type declarations; OidcProviderModule types the part used.
    const oidc = (await import('oidc-provider')) as OidcProviderModule;
    const { default: Provider, errors } = oidc;

    if (dataDir !== undefined) {
      await ensurePrivateDir(dataDir);
      await removeStaleTemporaries(dataDir);
    }
    const keys = await loadOrCreateKeys(dataDir);
    const artifactStore = await ArtifactStore.open(dataDir);
    store = artifactStore;

    // HTTP server first (port 0 allowed), then the provider with the real issuer.
    let handler: http.RequestListener = (_req, res) => {
      res.statusCode = 503;
      res.end();
    };
    const httpServer = http.createServer((req, res) => handler(req, res));
    server = httpServer;
    httpServer.keepAliveTimeout = 5000;
    const port = await listenOn(httpServer, options.port, host, options.portOption ?? '--provider-port');
    const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    const redirectOrigins = new Set<string>();
    for (const client of options.clients) {
      for (const uri of client.redirectUris) {
        try {
          const origin = new URL(uri).origin;
          if (origin !== 'null') redirectOrigins.add(origin);
        } catch {
          // oidc-provider rejects it below
        }
      }
    }
    const security: PageSecurity = { formAction: ["'self'", ...redirectOrigins].join(' ') };

    const renderError = async (ctx: RenderContext, out: Record<string, unknown>): Promise<void> => {
      const lines = Object.entries(out)
        .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
        .join('');
      for (const [name, value] of Object.entries(securityHeaders(security))) ctx.set(name, value);
      ctx.type = 'html';
      ctx.body = layout('Error - demo authorization server', `<h1>Something went wrong</h1>${lines}`);
    };

    const provider = new Provider(issuer, {
      adapter: (model: string) => new StoreAdapter(model, artifactStore),
      jwks: keys.jwks,
      cookies: { keys: keys.cookieKeys },
      clients: options.clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: c.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      })),
      scopes: ['openid', 'offline_access'],
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email', 'email_verified'],
      },
      findAccount: async (_ctx: unknown, id: string) => {
        const account = findDemoAccount(id);
        if (!account) return undefined;
        return {
          accountId: account.id,
          claims: async () => ({
            sub: account.id,
            preferred_username: account.id,
            name: account.name,
            email: account.email,
            email_verified: true,
          }),
        };
      },
      interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: true },
        revocation: {
          enabled: true,
          // oidc-provider's default, without its "you SHOULD change" notice.
          allowedPolicy: async (_ctx: unknown, client: OidcClient, token: OidcToken) => {
            if (token.clientId !== client.clientId) {
              if (client.clientAuthMethod === 'none') return false;
              throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
            }
            return true;
          },
        },
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: OidcClient, token: OidcToken) =>
            !(client.clientAuthMethod === 'none' && token.clientId !== client.clientId),
        },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx: RenderContext & { host: string }, form: string) => {
            for (const [name, value] of Object.entries(securityHeaders(security))) ctx.set(name, value);
            ctx.type = 'html';
            ctx.body = layout(
              'Sign out - demo authorization server',
              [
                `<h1>Sign out of ${escapeHtml(ctx.host)}?</h1>`,
                form, // oidc-provider's hidden form (id op.logoutForm) with its xsrf token
                '<button id="logout" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>',
                '<button id="stay" class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>',
              ].join(''),
            );
          },
          postLogoutSuccessSource: async (ctx: RenderContext) => {
            for (const [name, value] of Object.entries(securityHeaders(security))) ctx.set(name, value);
            ctx.type = 'html';
            ctx.body = messagePage('Signed out', 'You are signed out of the demo authorization server.');
          },
        },
      },
      clientBasedCORS: (_ctx: unknown, origin: string, client: OidcClient) =>
        origin !== 'null' &&
        client.redirectUris.some((uri) => {
          try {
            return new URL(uri).origin === origin;
          } catch {
            return false;
          }
        }),
      renderError,
      pkce: { required: () => true },
      // Refresh tokens for every client allowed the grant, whatever the prompt; they outlive the
      // browser session and rotate on every use (an old one reused revokes the grant).
      issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      rotateRefreshToken: true,
      ttl: {
        AccessToken: accessTokenTtl,
        AuthorizationCode: TTL.AuthorizationCode,
        IdToken: TTL.IdToken,
        RefreshToken: TTL.RefreshToken,
        Interaction: TTL.Interaction,
        Session: TTL.Session,
        Grant: TTL.Grant,
        ClientCredentials: 600,
        DeviceCode: 600,
        BackchannelAuthenticationRequest: 600,
        PreAuthorizedCode: 600,
      },
      routes: {
        authorization: '/auth',
        token: '/token',
        userinfo: '/me',
        revocation: '/token/revocation',
        introspection: '/token/introspection',
        jwks: '/jwks',
        end_session: '/session/end',
      },
    });

    provider.on('server_error', (_ctx, err) => {
      console.error('demo provider: server error:', err);
    });

    // Static clients are only validated when first used: load them now so a bad client fails here.
    for (const client of options.clients) {
      try {
        if (!(await provider.Client.find(client.clientId))) throw new Error('not found');
      } catch (err) {
        const e = err as { error_description?: string; message?: string };
        throw new Error(`demo provider: invalid client ${client.clientId}: ${e.error_description ?? e.message ?? String(err)}`);
      }
    }

    const callback = provider.callback();

    const interactionRoute = async (req: http.IncomingMessage, res: http.ServerResponse, uid: string, action: string | undefined): Promise<void> => {
      const method = req.method ?? 'GET';
      if ((action === undefined && method !== 'GET' && method !== 'HEAD') || (action !== undefined && method !== 'POST')) {
        res.setHeader('Allow', action === undefined ? 'GET' : 'POST');
        sendHtml(res, 405, messagePage('Not allowed', 'This page does not take that kind of request.'), security);
        return;
      }

      let details: OidcInteraction;
      try {
        details = await provider.interactionDetails(req, res);
      } catch (err) {
        if (!(err instanceof errors.SessionNotFound)) throw err;
        sendHtml(
          res,
          400,
          messagePage('Sign-in expired', 'This sign-in request has expired or was already used. Go back to the application and start again.'),
          security,
        );
        return;
      }
      if (details.uid !== uid) {
        sendHtml(
          res,
          400,
          messagePage('Sign-in expired', 'This page belongs to another sign-in request. Go back to the application and start again.'),
          security,
        );
        return;
      }

      const clientId = String(details.params.client_id ?? '');
      const promptName = details.prompt.name;

      if (action === undefined) {
        if (promptName === 'login') {
          const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
          sendHtml(res, 200, loginPage(uid, clientId, hint, undefined), security);
          return;
        }
        if (promptName === 'consent') {
          const accountId = details.session?.accountId ?? '';
          const missing = details.prompt.details.missingOIDCScope;
          const scopes = Array.isArray(missing)
            ? missing.map(String)
            : String(details.params.scope ?? '')
                .split(' ')
                .filter(Boolean);
          sendHtml(res, 200, consentPage(uid, clientId, findDemoAccount(accountId), accountId, scopes), security);
          return;
        }
        sendHtml(res, 400, messagePage('Cannot continue', `This server does not handle the "${promptName}" step.`), security);
        return;
      }

      const form = await readForm(req);
      if (!form) {
        sendHtml(res, 400, messagePage('Bad request', 'The form could not be read.'), security);
        return;
      }

      if (action === 'abort') {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'End-User aborted interaction' },
          { mergeWithLastSubmission: false },
        );
        return;
      }

      if (action === 'login') {
        if (promptName !== 'login') {
          redirect(res, `/interaction/${encodeURIComponent(uid)}`);
          return;
        }
        const login = (form.get('login') ?? '').trim();
        const password = form.get('password') ?? '';
        const account = findDemoAccount(login.toLowerCase());
        if (!account || !passwordMatches(password)) {
          sendHtml(
            res,
            200,
            loginPage(uid, clientId, login, `Unknown account or wrong password. Use alice, bob or carol with the password "${DEMO_PASSWORD}".`),
            security,
          );
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
        return;
      }

      // action === 'confirm'
      if (promptName !== 'consent') {
        redirect(res, `/interaction/${encodeURIComponent(uid)}`);
        return;
      }
      const accountId = details.session?.accountId;
      if (!accountId) {
        sendHtml(res, 400, messagePage('Sign-in expired', 'Sign in again from the application.'), security);
        return;
      }
      const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
      const promptDetails = details.prompt.details;
      if (Array.isArray(promptDetails.missingOIDCScope)) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
      if (Array.isArray(promptDetails.missingOIDCClaims)) grant.addOIDCClaims(promptDetails.missingOIDCClaims.map(String));
      if (isRecord(promptDetails.missingResourceScopes)) {
        for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes)) {
          if (Array.isArray(scopes)) grant.addResourceScope(indicator, scopes.join(' '));
        }
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    };

    handler = (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
      if (interaction) {
        interactionRoute(req, res, interaction[1] ?? '', interaction[2]).catch((err: unknown) => {
          console.error('demo provider: interaction error:', err);
          if (!res.headersSent) {
            sendHtml(res, 500, messagePage('Something went wrong', 'The demo authorization server failed; see its console.'), security);
          } else {
            res.end();
          }
        });
        return;
      }
      if (pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
        sendHtml(res, 200, homePage(issuer), security);
        return;
      }
      callback(req, res);
    };

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        try {
          await closeServer(httpServer);
          await artifactStore.flush();
        } finally {
          releaseConsole();
        }
      })();
      return closing;
    };

    return { issuer, accounts: DEMO_ACCOUNTS.map((a) => ({ ...a })), close };
  } catch (err) {
    if (server) await closeServer(server);
    if (store) await store.flush();
    releaseConsole();
    throw err;
  }
}

function redirect(res: http.ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}
