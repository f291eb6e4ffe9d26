/**
 * `npm run deploy`: uploads the zip that `npm run package` wrote (`dist/<nameSlug>_<version>.zip`) to a
 * Rocket.Chat server, over the REST calls `rc-apps deploy` makes (apps-cli lib/misc/deployHelpers.js):
 *   POST /api/v1/login {username, password[, code]}   or   GET /api/v1/me with a personal access token
 *   GET  /api/apps/<appId>                             installed already?
 *   POST /api/apps  |  POST /api/apps/<appId>           multipart: `app` (the zip), `permissions` (JSON)
 * rc-apps always packages the folder itself; this ships the zip the project bundled.
 *
 * Secrets (password, token, 2FA code, the session token) never reach a log line or an error message:
 * messages are written here from known parts, axios errors are never passed on (their `config` holds
 * the request), JSON parse errors of the credentials file are not quoted (V8 quotes the text), and
 * every line and message goes through `redactText` with the known secret values as a last net.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { z } from 'zod';
import { redactText } from '../../src/core/redact';

export interface DeployOptions {
  projectDir: string;
  /** Overrides `.rcappsconfig`'s `url`. */
  url?: string;
  /** Two-factor code, sent as `code` in the login body (as rc-apps does). */
  code?: string;
  /** `--update`: the app must already be installed (without it, install or update is decided by the server's answer). */
  update?: boolean;
  /** Where credentials are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface DeployResult {
  appId: string;
  action: 'installed' | 'updated';
}

/** Every failure deployApp reports: the message is meant for the user, and carries no secret. */
export class DeployError extends Error {
  override name = 'DeployError';
}

export const SERVER_CONFIG_FILE = '.rcappsconfig';
export const LOCAL_CREDENTIALS_FILE = '.rcappsconfig.local.json';

const API_TIMEOUT_MS = 30_000;
// The server unpacks, compiles and starts the app before it answers the upload.
const UPLOAD_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------------
// Schemas (the edges: project files, the local credentials file, server answers)

const nonEmpty = z.string().trim().min(1);

const AppJson = z.looseObject({
  id: nonEmpty,
  version: nonEmpty,
  name: nonEmpty,
  nameSlug: nonEmpty.regex(/^[^/\\]+$/, 'must not contain a path separator'),
  permissions: z.array(z.looseObject({ name: nonEmpty })).optional(),
});

const SECRET_KEYS_IN_SHARED_CONFIG = ['password', 'token', 'authToken', 'code'] as const;

const RcAppsConfig = z.looseObject({
  url: z.string().optional(),
  username: z.string().optional(),
});

const LocalCredentials = z.strictObject({
  username: z.string().optional(),
  password: z.string().optional(),
  userId: z.string().optional(),
  token: z.string().optional(),
});

const LoginOk = z.object({
  status: z.literal('success'),
  data: z.object({
    userId: nonEmpty,
    authToken: nonEmpty,
    me: z.looseObject({ username: z.string().optional() }).optional(),
  }),
});

const MeOk = z.looseObject({ success: z.literal(true), _id: nonEmpty, username: z.string().optional() });

const AppInfo = z.looseObject({ id: nonEmpty, version: z.string().optional(), status: z.string().optional() });

const GetAppOk = z.looseObject({ success: z.literal(true), app: AppInfo });

const UploadOk = z.looseObject({ success: z.literal(true), app: AppInfo.optional() });

/** Rocket.Chat's error bodies: `{status: 'error', error, message, details}` (login) or `{success: false, error}` (apps). */
const ErrorBody = z.looseObject({
  status: z.string().optional(),
  error: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z.looseObject({ method: z.string().optional() }).optional(),
  messages: z.array(z.unknown()).optional(),
});

// ---------------------------------------------------------------------------------------------------
// Small helpers

function issuesText(error: z.ZodError): string {
  // Zod's messages name the expected type or key, never the input value.
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DeployError(`Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'read error'}).`);
  }
}

/** JSON.parse without quoting the text: V8's SyntaxError shows a slice of it, secrets included. */
function parseJsonFile(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const position = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    let where = '';
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
    }
    throw new DeployError(`${label} is not valid JSON${where}.`);
  }
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Checks an http(s) server address; returns the base used for requests and shown to the user. */
function serverBase(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DeployError(`The server url from ${from} is not a valid URL: use the form https://chat.example.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeployError(`The server url from ${from} must start with https:// (or http://), not ${url.protocol}//.`);
  }
  if (url.username || url.password) {
    throw new DeployError(
      `The server url from ${from} contains credentials (user:password@): remove them; credentials go in ` +
        `RC_USERNAME / RC_PASSWORD or ${LOCAL_CREDENTIALS_FILE}.`,
    );
  }
  // Keeps a path prefix (a server behind /chat); drops query, fragment and the trailing slash.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// ---------------------------------------------------------------------------------------------------
// Project files

interface ProjectInfo {
  appId: string;
  name: string;
  version: string;
  /** app.json's `permissions`, as written there (undefined: not declared, not sent, as rc-apps). */
  permissions: unknown;
  zipPath: string;
  zipRelative: string;
}

async function readProject(projectDir: string): Promise<ProjectInfo> {
  const appJsonPath = path.join(projectDir, 'app.json');
  const text = await readIfExists(appJsonPath);
  if (text === undefined) throw new DeployError(`No app.json in ${projectDir}: run npm run deploy from the app's project root.`);
  const raw = parseJsonFile(text, 'app.json');
  const parsed = AppJson.safeParse(raw);
  if (!parsed.success) throw new DeployError(`app.json is not valid: ${issuesText(parsed.error)}.`);
  const app = parsed.data;
  const zipRelative = path.join('dist', `${app.nameSlug}_${app.version}.zip`);
  return {
    appId: app.id,
    name: app.name,
    version: app.version,
    permissions: (raw as { permissions?: unknown }).permissions,
    zipPath: path.join(projectDir, zipRelative),
    zipRelative,
  };
}

async function readZip(project: ProjectInfo): Promise<Buffer> {
  let zip: Buffer;
  try {
    zip = await fs.readFile(project.zipPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DeployError(
        `No app package at ${project.zipRelative}: run \`npm run package\` first (it writes the zip for app.json's version ${project.version}).`,
      );
    }
    throw new DeployError(`Cannot read ${project.zipRelative} (${(e as NodeJS.ErrnoException).code ?? 'read error'}).`);
  }
  if (zip.length === 0) throw new DeployError(`${project.zipRelative} is empty: run \`npm run package\` again.`);
  return zip;
}

async function readServerConfig(projectDir: string): Promise<{ url?: string; username?: string }> {
  const text = await readIfExists(path.join(projectDir, SERVER_CONFIG_FILE));
  if (text === undefined) return {};
  const raw = parseJsonFile(text, SERVER_CONFIG_FILE);
  const parsed = RcAppsConfig.safeParse(raw);
  if (!parsed.success) throw new DeployError(`${SERVER_CONFIG_FILE} is not valid: ${issuesText(parsed.error)}.`);
  const present = SECRET_KEYS_IN_SHARED_CONFIG.filter((k) => k in parsed.data);
  if (present.length > 0) {
    throw new DeployError(
      `${SERVER_CONFIG_FILE} holds "${present.join('", "')}": it is committed to git, so it must not hold secrets. ` +
        `Remove the key and use the environment (RC_PASSWORD, or RC_USER_ID + RC_AUTH_TOKEN) or the git-ignored ${LOCAL_CREDENTIALS_FILE}.`,
    );
  }
  return { url: parsed.data.url, username: parsed.data.username };
}

// ---------------------------------------------------------------------------------------------------
// Credentials: the environment wins over the local file; the username may also come from .rcappsconfig.

type Credentials = { kind: 'password'; username: string; password: string; source: string } | { kind: 'token'; userId: string; token: string; source: string };

const MISSING_CREDENTIALS =
  'No Rocket.Chat credentials found. Either set RC_USERNAME and RC_PASSWORD (or RC_USER_ID and RC_AUTH_TOKEN for a ' +
  `personal access token) in the environment, or put the keys username and password (or userId and token) in ` +
  `${LOCAL_CREDENTIALS_FILE} at the project root (git-ignored).`;

async function readCredentials(projectDir: string, env: NodeJS.ProcessEnv, sharedUsername: string | undefined): Promise<Credentials> {
  const given = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v : undefined);

  const fromEnv = {
    username: given(env.RC_USERNAME),
    password: given(env.RC_PASSWORD),
    userId: given(env.RC_USER_ID),
    token: given(env.RC_AUTH_TOKEN),
  };

  let local: z.infer<typeof LocalCredentials> = {};
  const localText = await readIfExists(path.join(projectDir, LOCAL_CREDENTIALS_FILE));
  if (localText !== undefined) {
    const parsed = LocalCredentials.safeParse(parseJsonFile(localText, LOCAL_CREDENTIALS_FILE));
    if (!parsed.success) {
      throw new DeployError(
        `${LOCAL_CREDENTIALS_FILE} is not valid (${issuesText(parsed.error)}): it may hold only "username", "password", "userId" and "token", as strings.`,
      );
    }
    local = parsed.data;
  }
  const fromFile = {
    username: given(local.username),
    password: given(local.password),
    userId: given(local.userId),
    token: given(local.token),
  };

  const envHasSecrets = fromEnv.password !== undefined || fromEnv.userId !== undefined || fromEnv.token !== undefined;
  const [src, source, names] = envHasSecrets
    ? [fromEnv, 'the environment', { username: 'RC_USERNAME', password: 'RC_PASSWORD', userId: 'RC_USER_ID', token: 'RC_AUTH_TOKEN' }]
    : [fromFile, LOCAL_CREDENTIALS_FILE, { username: 'username', password: 'password', userId: 'userId', token: 'token' }];

  if (src.userId !== undefined || src.token !== undefined) {
    if (src.userId !== undefined && src.token !== undefined) {
      return { kind: 'token', userId: src.userId, token: src.token, source: `${source} (${names.userId} + ${names.token})` };
    }
    if (src.password === undefined) {
      const missing = src.userId === undefined ? names.userId : names.token;
      const present = src.userId === undefined ? names.token : names.userId;
      throw new DeployError(`${present} is set in ${source} but ${missing} is missing: a personal access token needs both.`);
    }
  }
  if (src.password !== undefined) {
    const username = src.username ?? fromEnv.username ?? fromFile.username ?? given(sharedUsername);
    if (username === undefined) {
      throw new DeployError(
        `${names.password} is set in ${source} but no username: set RC_USERNAME, or "username" in ${LOCAL_CREDENTIALS_FILE} or ${SERVER_CONFIG_FILE}.`,
      );
    }
    return { kind: 'password', username, password: src.password, source: `${source} (${names.password})` };
  }
  throw new DeployError(MISSING_CREDENTIALS);
}

// ---------------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  body: unknown;
  isJson: boolean;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNABORTED: 'no answer in time',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'connection closed by the server or a proxy',
  EPIPE: 'connection closed by the server or a proxy',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

class Server {
  private readonly http: AxiosInstance;

  constructor(readonly base: string) {
    this.http = axios.create({
      baseURL: base,
      timeout: API_TIMEOUT_MS,
      // Every status and body is read here: no throwing on 4xx, no redirects (a POST would turn into a GET).
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxBodyLength: Infinity,
      maxContentLength: 50 * 1024 * 1024,
      headers: { Accept: 'application/json' },
    });
  }

  async call(what: string, config: AxiosRequestConfig): Promise<Answer> {
    let response;
    try {
      response = await this.http.request<string>(config);
    } catch (error) {
      // Never pass axios' error on, nor its message: its `config` holds the request, secrets included.
      const code = String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? '');
      const reason =
        NETWORK_REASONS[code] ??
        (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? `TLS certificate problem (${code})` : code ? `network error ${code}` : 'network error');
      throw new DeployError(
        `Cannot reach the Rocket.Chat server at ${this.base} (${what}: ${reason}). ` +
          `Check that the server is running and that "url" in ${SERVER_CONFIG_FILE} (or --url) is right.`,
      );
    }
    const text = typeof response.data === 'string' ? response.data : '';
    const body = parseJsonBody(text);
    const location = response.headers?.location;
    if (response.status >= 300 && response.status < 400) {
      const target = typeof location === 'string' ? ` to ${location.split('?')[0]}` : '';
      throw new DeployError(
        `${this.base} redirects (HTTP ${response.status}${target}): put the final address (for example https://…) in ${SERVER_CONFIG_FILE} or pass it with --url.`,
      );
    }
    return { status: response.status, body, isJson: body !== undefined };
  }
}

function errorFields(answer: Answer): z.infer<typeof ErrorBody> {
  const parsed = ErrorBody.safeParse(answer.body);
  return parsed.success ? parsed.data : {};
}

/** The server's own words for an error: its `error` field (and `message` when it adds something). */
function serverWords(answer: Answer): string {
  const fields = errorFields(answer);
  const error = fields.error !== undefined ? String(fields.error) : undefined;
  const message = fields.message ?? fields.reason;
  let words = error && message && message !== error ? `${error} (${message})` : (error ?? message);
  if (!words) words = answer.isJson ? 'no error message' : 'the answer is not JSON';
  words = words.replace(/\s+/g, ' ').trim();
  return words.length > 300 ? `${words.slice(0, 300)}…` : words;
}

function notRocketChat(base: string, what: string, answer: Answer): DeployError {
  return new DeployError(
    `${base} did not answer ${what} like a Rocket.Chat server (HTTP ${answer.status}${answer.isJson ? ', unexpected JSON' : ', not JSON'}): ` +
      `check "url" in ${SERVER_CONFIG_FILE} or --url.`,
  );
}

interface Session {
  userId: string;
  authToken: string;
  username?: string;
  loggedIn: boolean;
}

async function authenticate(server: Server, credentials: Credentials, code: string | undefined): Promise<Session> {
  if (credentials.kind === 'token') {
    const answer = await server.call('GET /api/v1/me', {
      method: 'GET',
      url: '/api/v1/me',
      headers: { 'X-User-Id': credentials.userId, 'X-Auth-Token': credentials.token },
    });
    if (answer.status === 401 || answer.status === 403) {
      throw new DeployError(
        `${server.base} refused the personal access token from ${credentials.source}: it is wrong, revoked, or belongs to another user id.`,
      );
    }
    const me = MeOk.safeParse(answer.body);
    if (answer.status !== 200 || !me.success) {
      if (answer.isJson && answer.status >= 400)
        throw new DeployError(`Checking the personal access token failed (HTTP ${answer.status}): ${serverWords(answer)}.`);
      throw notRocketChat(server.base, 'GET /api/v1/me', answer);
    }
    return { userId: credentials.userId, authToken: credentials.token, username: me.data.username, loggedIn: false };
  }

  const body: Record<string, string> = { username: credentials.username, password: credentials.password };
  if (code !== undefined) body.code = code;
  const answer = await server.call('POST /api/v1/login', {
    method: 'POST',
    url: '/api/v1/login',
    headers: { 'Content-Type': 'application/json' },
    data: JSON.stringify(body),
  });
  const ok = LoginOk.safeParse(answer.body);
  if (answer.status === 200 && ok.success) {
    return { userId: ok.data.data.userId, authToken: ok.data.data.authToken, username: ok.data.data.me?.username ?? credentials.username, loggedIn: true };
  }
  const fields = errorFields(answer);
  const error = fields.error !== undefined ? String(fields.error) : '';
  if (error === 'totp-required') {
    const emailed = fields.details?.method === 'email' ? ' (a code has been sent to your email address)' : '';
    throw new DeployError(
      `Two-factor authentication is required for ${credentials.username}${emailed}: run again with the current code, ` + '`npm run deploy -- --code <code>`.',
    );
  }
  if (error === 'totp-invalid') {
    throw new DeployError('The two-factor code was refused (wrong or expired): run again with a fresh code, `npm run deploy -- --code <code>`.');
  }
  if (answer.status === 429 || error === 'error-too-many-requests') {
    throw new DeployError(`${server.base} refuses more login attempts for now (too many requests): wait a minute and try again.`);
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new DeployError(`Login to ${server.base} refused: wrong username or password for ${credentials.username} (credentials from ${credentials.source}).`);
  }
  if (answer.isJson && answer.status >= 400) throw new DeployError(`Login to ${server.base} failed (HTTP ${answer.status}): ${serverWords(answer)}.`);
  throw notRocketChat(server.base, 'POST /api/v1/login', answer);
}

function authHeaders(session: Session): Record<string, string> {
  return { 'X-User-Id': session.userId, 'X-Auth-Token': session.authToken };
}

function refusedSession(server: Server, session: Session, answer: Answer, what: string): DeployError {
  if (answer.status === 401) return new DeployError(`${server.base} refused the session on ${what}: ${serverWords(answer)}.`);
  return new DeployError(
    `${session.username ?? 'This user'} may not manage apps on ${server.base} (HTTP 403 on ${what}: ${serverWords(answer)}): ` +
      'deploying needs an administrator, or a role with the manage-apps permission.',
  );
}

async function installedVersion(server: Server, session: Session, appId: string): Promise<{ installed: boolean; version?: string }> {
  const what = `GET /api/apps/${appId}`;
  const answer = await server.call(what, { method: 'GET', url: `/api/apps/${encodeURIComponent(appId)}`, headers: authHeaders(session) });
  if (answer.status === 404) return { installed: false };
  if (answer.status === 401 || answer.status === 403) throw refusedSession(server, session, answer, what);
  const found = GetAppOk.safeParse(answer.body);
  if (answer.status === 200 && found.success) return { installed: true, version: found.data.app.version };
  if (answer.isJson && answer.status >= 400)
    throw new DeployError(`Checking whether the app is installed failed (HTTP ${answer.status} on ${what}): ${serverWords(answer)}.`);
  throw notRocketChat(server.base, what, answer);
}

async function upload(server: Server, session: Session, project: ProjectInfo, zip: Buffer, update: boolean): Promise<z.infer<typeof AppInfo> | undefined> {
  const url = update ? `/api/apps/${encodeURIComponent(project.appId)}` : '/api/apps';
  const what = `POST ${update ? `/api/apps/${project.appId}` : '/api/apps'}`;
  const form = new FormData();
  form.append('app', new Blob([zip], { type: 'application/zip' }), path.basename(project.zipPath));
  if (project.permissions !== undefined) form.append('permissions', JSON.stringify(project.permissions));

  const answer = await server.call(what, { method: 'POST', url, data: form, headers: authHeaders(session), timeout: UPLOAD_TIMEOUT_MS });
  const ok = UploadOk.safeParse(answer.body);
  if (answer.status === 200 && ok.success) return ok.data.app;

  if (answer.status === 401 || answer.status === 403) throw refusedSession(server, session, answer, what);
  if (answer.status === 413) {
    throw new DeployError(
      `${server.base} refused the upload as too large (HTTP 413, ${sizeText(zip.length)}): raise the upload limit of the server or its reverse proxy.`,
    );
  }
  const fields = errorFields(answer);
  if (fields.status === 'compiler_error' && fields.messages) {
    const lines = fields.messages.slice(0, 10).map((m) => `  ${typeof m === 'string' ? m : JSON.stringify(m)}`);
    throw new DeployError(`${server.base} refused the app: compiler errors:\n${lines.join('\n')}`);
  }
  if (answer.isJson) throw new DeployError(`${server.base} refused the upload (HTTP ${answer.status} on ${what}): ${serverWords(answer)}.`);
  throw notRocketChat(server.base, what, answer);
}

async function logout(server: Server, session: Session): Promise<void> {
  // The login made a fresh token on the server: end it. Best effort; the deploy has already succeeded.
  try {
    await server.call('POST /api/v1/logout', { method: 'POST', url: '/api/v1/logout', headers: authHeaders(session) });
  } catch {
    // ignored
  }
}

// ---------------------------------------------------------------------------------------------------

export async function deployApp(options: DeployOptions): Promise<DeployResult> {
  const env = options.env ?? process.env;
  const secrets: string[] = [];
  for (const key of ['RC_PASSWORD', 'RC_AUTH_TOKEN'] as const) if (env[key]) secrets.push(env[key] as string);
  if (options.code) secrets.push(options.code);
  const scrub = (text: string): string => redactText(text, secrets);
  const rawLog = options.log ?? ((line: string) => console.log(line));
  const log = (line: string): void => rawLog(scrub(line));

  try {
    return await run(options, env, log, secrets);
  } catch (error) {
    // Rebuilt from the message alone (no cause, no stack of someone else's object), then scrubbed.
    const message = error instanceof DeployError ? error.message : `Deploy failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
    throw new DeployError(scrub(message));
  }
}

async function run(options: DeployOptions, env: NodeJS.ProcessEnv, log: (line: string) => void, secrets: string[]): Promise<DeployResult> {
  const projectDir = path.resolve(options.projectDir);
  const project = await readProject(projectDir);
  const zip = await readZip(project);

  const shared = await readServerConfig(projectDir);
  const rawUrl = options.url ?? shared.url;
  if (rawUrl === undefined || rawUrl.trim() === '') {
    throw new DeployError(`No server url: add "url": "https://your.rocket.chat" to ${SERVER_CONFIG_FILE} or pass --url <url>.`);
  }
  const base = serverBase(rawUrl, options.url !== undefined ? '--url' : SERVER_CONFIG_FILE);

  const credentials = await readCredentials(projectDir, env, shared.username);
  secrets.push(credentials.kind === 'password' ? credentials.password : credentials.token);
  if (options.code !== undefined && !/^\S+$/.test(options.code)) throw new DeployError('--code must be the code itself, for example --code 123456.');

  const server = new Server(base);
  const hostname = new URL(base).hostname;
  log(`Deploying ${project.name} ${project.version} (${project.zipRelative}, ${sizeText(zip.length)}) to ${base}`);
  if (new URL(base).protocol === 'http:' && !isLoopback(hostname)) {
    log(`Warning: ${base} is not HTTPS: the ${credentials.kind === 'password' ? 'password' : 'token'} and the app travel unencrypted.`);
  }

  const session = await authenticate(server, credentials, options.code);
  secrets.push(session.authToken);
  log(
    credentials.kind === 'password'
      ? `Logged in as ${session.username ?? credentials.username}`
      : `Authenticated as ${session.username ?? credentials.userId} with a personal access token`,
  );

  try {
    const current = await installedVersion(server, session, project.appId);
    if (options.update && !current.installed) {
      throw new DeployError(`--update was given but app ${project.appId} is not installed on ${base}: run without --update to install it.`);
    }
    log(
      current.installed
        ? `App ${project.appId} is installed${current.version ? ` (version ${current.version})` : ''}: updating it`
        : `App ${project.appId} is not installed yet: installing it`,
    );

    const app = await upload(server, session, project, zip, current.installed);
    const action = current.installed ? 'updated' : 'installed';
    const version = app?.version ?? project.version;
    log(`${action === 'installed' ? 'Installed' : 'Updated'} ${project.name} ${version} (app id ${project.appId}) on ${base}`);
    if (app?.status && /disabled|invalid|error/i.test(app.status)) {
      log(`Note: the server reports the app's status as "${app.status}": see Administration > Apps on ${base}.`);
    }
    return { appId: project.appId, action };
  } finally {
    if (session.loggedIn) await logout(server, session);
  }
}
