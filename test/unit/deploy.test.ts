/**
 * `npm run deploy` (tools/deploy/deploy.ts, scripts/deploy.mjs) against a LOCAL STAND-IN for the Rocket.Chat
 * REST endpoints that `rc-apps deploy` uses: no Rocket.Chat server runs here. The stand-in is a node:http
 * server on 127.0.0.1 answering like Rocket.Chat does (login error bodies `{status: 'error', error, message}`,
 * `totp-required` / `totp-invalid`, apps answers `{success, app | error}`), and parsing the multipart upload.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { deployApp, DeployError, type DeployResult } from '../../tools/deploy/deploy';

const APP_ID = 'f00dcafe-0000-4000-8000-00000000beef';
const APP_VERSION = '0.1.0';
const PERMISSIONS = [{ name: 'slashcommand' }, { name: 'api' }, { name: 'networking', required: true }];

const ALICE = { username: 'alice', password: 'alice-Pa55word!', userId: 'uid-alice' };
const BOB_2FA = { username: 'bob', password: 'bob-Pa55word!', userId: 'uid-bob', code: '493817' };
const PAT = { userId: 'uid-carol', token: 'pat-Carol-Tok3n-0123456789' };
const WRONG_PASSWORD = 'not-Alices-Pa55word';

/** Every secret the tests use or the stand-in issues: none may show up in a log line or an error message. */
const secrets = new Set<string>([ALICE.password, BOB_2FA.password, BOB_2FA.code, PAT.token, WRONG_PASSWORD]);
const everythingShown: string[] = [];

// ---------------------------------------------------------------------------------------------------
// The stand-in

interface Upload {
  path: string;
  headers: http.IncomingHttpHeaders;
  fileName: string | undefined;
  bytes: Buffer;
  permissions: string | null;
}

interface StandIn {
  url: string;
  installed: Map<string, { version: string }>;
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: Buffer }>;
  uploads: Upload[];
  sessions: Map<string, string>;
  refuseUploadsWith?: string;
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const users = [ALICE, BOB_2FA];
  const state = {
    installed: new Map<string, { version: string }>(),
    requests: [] as StandIn['requests'],
    uploads: [] as Upload[],
    sessions: new Map<string, string>([[PAT.token, PAT.userId]]),
    refuseUploadsWith: undefined as string | undefined,
  };

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const authed = (req: http.IncomingMessage): boolean => {
    const token = req.headers['x-auth-token'];
    const userId = req.headers['x-user-id'];
    return typeof token === 'string' && state.sessions.get(token) === userId;
  };
  const notLoggedIn = { status: 'error', message: 'You must be logged in to do this.' };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://stand-in');
        const route = `${req.method} ${url.pathname}`;
        state.requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });

        if (route === 'POST /api/v1/login') {
          const creds = JSON.parse(body.toString('utf8')) as { username?: string; password?: string; code?: string };
          const user = users.find((u) => u.username === creds.username && u.password === creds.password);
          if (!user) return send(res, 401, { status: 'error', error: 'Unauthorized', message: 'Unauthorized' });
          if ('code' in user) {
            if (!creds.code) return send(res, 401, { status: 'error', error: 'totp-required', message: 'TOTP Required', details: { method: 'totp' } });
            if (creds.code !== user.code)
              return send(res, 401, { status: 'error', error: 'totp-invalid', message: 'TOTP Invalid', details: { method: 'totp' } });
          }
          const authToken = `session-${randomBytes(12).toString('hex')}`;
          secrets.add(authToken);
          state.sessions.set(authToken, user.userId);
          return send(res, 200, { status: 'success', data: { userId: user.userId, authToken, me: { _id: user.userId, username: user.username } } });
        }
        if (route === 'POST /api/v1/logout') {
          if (!authed(req)) return send(res, 401, notLoggedIn);
          state.sessions.delete(String(req.headers['x-auth-token']));
          return send(res, 200, { status: 'success', data: { message: "You've been logged out!" } });
        }
        if (route === 'GET /api/v1/me') {
          if (!authed(req)) return send(res, 401, notLoggedIn);
          const userId = String(req.headers['x-user-id']);
          return send(res, 200, { _id: userId, username: userId.replace('uid-', ''), success: true });
        }

        const app = /^\/api\/apps(?:\/([^/]+))?$/.exec(url.pathname);
        if (app) {
          if (!authed(req)) return send(res, 401, notLoggedIn);
          const id = app[1] === undefined ? undefined : decodeURIComponent(app[1]);
          if (req.method === 'GET' && id !== undefined) {
            const found = state.installed.get(id);
            if (!found) return send(res, 404, { success: false, error: `No App found by the id of: ${id}` });
            return send(res, 200, { success: true, app: { id, version: found.version, status: 'manually_enabled' } });
          }
          if (req.method === 'POST') {
            // Parse the multipart body with undici's parser (axios wrote it), as Rocket.Chat parses it with busboy.
            const form = await new Response(body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
            const file = form.get('app');
            if (!(file instanceof Blob)) return send(res, 400, { success: false, error: 'No app file was provided.' });
            const permissions = form.get('permissions');
            state.uploads.push({
              path: url.pathname,
              headers: req.headers,
              fileName: (file as Blob & { name?: string }).name,
              bytes: Buffer.from(await file.arrayBuffer()),
              permissions: typeof permissions === 'string' ? permissions : null,
            });
            if (state.refuseUploadsWith) return send(res, 400, { success: false, error: state.refuseUploadsWith });
            const target = id ?? APP_ID; // a real server reads the id from the zip's app.json
            if (id === undefined && state.installed.has(target)) return send(res, 400, { success: false, error: 'App already exists.' });
            if (id !== undefined && !state.installed.has(target)) return send(res, 404, { success: false, error: `No App found by the id of: ${id}` });
            state.installed.set(target, { version: APP_VERSION });
            return send(res, 200, { success: true, app: { id: target, version: APP_VERSION, status: 'manually_enabled' } });
          }
        }
        send(res, 404, { success: false, error: 'Not found' });
      })().catch((e: unknown) => send(res, 500, { success: false, error: String(e) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// ---------------------------------------------------------------------------------------------------
// A temporary app project

interface Project {
  dir: string;
  zip: Buffer;
}

const tempDirs: string[] = [];

function makeProject(options: { url: string; rcappsconfig?: Record<string, unknown>; local?: Record<string, unknown>; zip?: boolean }): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'));
  tempDirs.push(dir);
  const appJson = {
    id: APP_ID,
    version: APP_VERSION,
    name: 'OAuth Connector',
    nameSlug: 'oauth-connector',
    classFile: 'src/OAuthApp.ts',
    permissions: PERMISSIONS,
  };
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(appJson, null, 2));
  fs.writeFileSync(path.join(dir, '.rcappsconfig'), JSON.stringify(options.rcappsconfig ?? { url: options.url, username: '' }));
  if (options.local) fs.writeFileSync(path.join(dir, '.rcappsconfig.local.json'), JSON.stringify(options.local));
  // Any bytes, with a multipart boundary look-alike and CRLFs inside to catch a sloppy encoder or parser.
  const zip = Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(3000), Buffer.from('\r\n--boundary\r\n\r\n'), randomBytes(1000)]);
  if (options.zip !== false) {
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', `oauth-connector_${APP_VERSION}.zip`), zip);
  }
  return { dir, zip };
}

const aliceEnv = { RC_USERNAME: ALICE.username, RC_PASSWORD: ALICE.password };

async function deploy(
  project: Project,
  options: { env: NodeJS.ProcessEnv; code?: string; url?: string; update?: boolean },
): Promise<{ result: DeployResult; lines: string[] }> {
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    everythingShown.push(line);
  };
  try {
    const result = await deployApp({ projectDir: project.dir, log, ...options });
    return { result, lines };
  } catch (error) {
    everythingShown.push(...lines);
    throw error;
  }
}

async function deployError(project: Project, options: { env: NodeJS.ProcessEnv; code?: string; url?: string; update?: boolean }): Promise<string> {
  let caught: unknown;
  try {
    await deploy(project, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DeployError);
  const message = (caught as Error).message;
  everythingShown.push(message);
  return message;
}

// ---------------------------------------------------------------------------------------------------

describe('npm run deploy against a LOCAL STAND-IN for the Rocket.Chat REST endpoints (login, me, apps)', () => {
  let rc: StandIn;

  beforeEach(async () => {
    rc = await startStandIn();
  });
  afterEach(async () => {
    await rc.close();
  });
  afterAll(() => {
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs a new app, then updates it: uploads the zip bytes and app.json permissions', async () => {
    const project = makeProject({ url: rc.url });

    const first = await deploy(project, { env: aliceEnv });
    expect(first.result).toEqual({ appId: APP_ID, action: 'installed' });
    expect(first.lines.at(-1)).toBe(`Installed OAuth Connector ${APP_VERSION} (app id ${APP_ID}) on ${rc.url}`);

    const second = await deploy(project, { env: aliceEnv });
    expect(second.result).toEqual({ appId: APP_ID, action: 'updated' });
    expect(second.lines).toContain(`App ${APP_ID} is installed (version ${APP_VERSION}): updating it`);
    expect(second.lines.at(-1)).toBe(`Updated OAuth Connector ${APP_VERSION} (app id ${APP_ID}) on ${rc.url}`);

    expect(rc.uploads.map((u) => u.path)).toEqual(['/api/apps', `/api/apps/${APP_ID}`]);
    for (const upload of rc.uploads) {
      expect(upload.bytes.equals(project.zip)).toBe(true);
      expect(upload.fileName).toBe(`oauth-connector_${APP_VERSION}.zip`);
      expect(JSON.parse(upload.permissions ?? 'null')).toEqual(PERMISSIONS);
      expect(String(upload.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    }

    // The rc-apps call sequence: login, installed?, upload; plus a logout that ends the fresh session.
    const calls = rc.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual([
      'POST /api/v1/login',
      `GET /api/apps/${APP_ID}`,
      'POST /api/apps',
      'POST /api/v1/logout',
      'POST /api/v1/login',
      `GET /api/apps/${APP_ID}`,
      `POST /api/apps/${APP_ID}`,
      'POST /api/v1/logout',
    ]);
    expect(JSON.parse(rc.requests[0].body.toString())).toEqual({ username: ALICE.username, password: ALICE.password });
    expect(rc.requests[2].headers['x-user-id']).toBe(ALICE.userId);
    expect(rc.sessions.size).toBe(1); // only the personal access token of the fixture is left
  });

  it('authenticates with a personal access token pair (RC_USER_ID + RC_AUTH_TOKEN), checked with GET /api/v1/me', async () => {
    const project = makeProject({ url: rc.url });
    const { result, lines } = await deploy(project, { env: { RC_USER_ID: PAT.userId, RC_AUTH_TOKEN: PAT.token } });
    expect(result.action).toBe('installed');
    expect(lines).toContain('Authenticated as carol with a personal access token');
    expect(rc.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/me', `GET /api/apps/${APP_ID}`, 'POST /api/apps']);
    expect(rc.uploads[0].headers['x-auth-token']).toBe(PAT.token);
    expect(rc.uploads[0].headers['x-user-id']).toBe(PAT.userId);
  });

  it('refuses a wrong token pair', async () => {
    const project = makeProject({ url: rc.url });
    const message = await deployError(project, { env: { RC_USER_ID: PAT.userId, RC_AUTH_TOKEN: 'pat-wrong-token-value' } });
    secrets.add('pat-wrong-token-value');
    expect(message).toBe(
      `${rc.url} refused the personal access token from the environment (RC_USER_ID + RC_AUTH_TOKEN): it is wrong, revoked, or belongs to another user id.`,
    );
  });

  it('reads credentials from .rcappsconfig.local.json; the environment wins over it', async () => {
    const fromFile = makeProject({ url: rc.url, local: { username: ALICE.username, password: ALICE.password } });
    expect((await deploy(fromFile, { env: {} })).result.action).toBe('installed');

    rc.installed.clear();
    const both = makeProject({ url: rc.url, local: { username: ALICE.username, password: WRONG_PASSWORD } });
    expect((await deploy(both, { env: aliceEnv })).result.action).toBe('installed');
  });

  it('takes the username from .rcappsconfig when only the password is given', async () => {
    const project = makeProject({ url: rc.url, rcappsconfig: { url: rc.url, username: ALICE.username } });
    expect((await deploy(project, { env: { RC_PASSWORD: ALICE.password } })).result.action).toBe('installed');
  });

  it('2FA: without --code it says to pass --code; with a wrong code it says so; with the code it deploys', async () => {
    const project = makeProject({ url: rc.url });
    const env = { RC_USERNAME: BOB_2FA.username, RC_PASSWORD: BOB_2FA.password };

    expect(await deployError(project, { env })).toBe(
      'Two-factor authentication is required for bob: run again with the current code, `npm run deploy -- --code <code>`.',
    );
    expect(await deployError(project, { env, code: '000111' })).toBe(
      'The two-factor code was refused (wrong or expired): run again with a fresh code, `npm run deploy -- --code <code>`.',
    );
    secrets.add('000111');
    const { result } = await deploy(project, { env, code: BOB_2FA.code });
    expect(result.action).toBe('installed');
    const login = rc.requests.filter((r) => r.path === '/api/v1/login').map((r) => JSON.parse(r.body.toString()) as Record<string, string>);
    expect(login.map((b) => b.code)).toEqual([undefined, '000111', BOB_2FA.code]);
  });

  it('wrong password: 401 -> "wrong username or password", nothing uploaded', async () => {
    const project = makeProject({ url: rc.url });
    expect(await deployError(project, { env: { RC_USERNAME: ALICE.username, RC_PASSWORD: WRONG_PASSWORD } })).toBe(
      `Login to ${rc.url} refused: wrong username or password for alice (credentials from the environment (RC_PASSWORD)).`,
    );
    expect(rc.uploads).toHaveLength(0);
  });

  it('missing zip: says to run npm run package, before any request', async () => {
    const project = makeProject({ url: rc.url, zip: false });
    expect(await deployError(project, { env: aliceEnv })).toBe(
      "No app package at dist/oauth-connector_0.1.0.zip: run `npm run package` first (it writes the zip for app.json's version 0.1.0).",
    );
    expect(rc.requests).toHaveLength(0);
  });

  it('missing credentials: names the environment variables and the local file', async () => {
    const project = makeProject({ url: rc.url });
    const message = await deployError(project, { env: {} });
    expect(message).not.toContain('REDACTED');
    for (const name of ['RC_USERNAME', 'RC_PASSWORD', 'RC_USER_ID', 'RC_AUTH_TOKEN', '.rcappsconfig.local.json']) expect(message).toContain(name);
    expect(await deployError(project, { env: { RC_AUTH_TOKEN: PAT.token } })).toBe(
      'RC_AUTH_TOKEN is set in the environment but RC_USER_ID is missing: a personal access token needs both.',
    );
    expect(await deployError(project, { env: { RC_PASSWORD: ALICE.password } })).toBe(
      'RC_PASSWORD is set in the environment but no username: set RC_USERNAME, or "username" in .rcappsconfig.local.json or .rcappsconfig.',
    );
    expect(rc.requests).toHaveLength(0);
  });

  it('refuses a secret in the committed .rcappsconfig and an unknown key in the local file', async () => {
    const shared = makeProject({ url: rc.url, rcappsconfig: { url: rc.url, username: ALICE.username, password: ALICE.password } });
    expect(await deployError(shared, { env: aliceEnv })).toMatch(/^\.rcappsconfig holds "password": it is committed to git/);

    const typo = makeProject({ url: rc.url, local: { userId: PAT.userId, authToken: PAT.token } });
    expect(await deployError(typo, { env: {} })).toMatch(/^\.rcappsconfig\.local\.json is not valid \(.*authToken.*\): it may hold only/);

    const broken = makeProject({ url: rc.url });
    fs.writeFileSync(path.join(broken.dir, '.rcappsconfig.local.json'), `{"password": "${ALICE.password}" "username": "alice"}`);
    expect(await deployError(broken, { env: {} })).toBe('.rcappsconfig.local.json is not valid JSON (line 1, column 32).');
  });

  it("an upload the server refuses: shows the server's error field", async () => {
    const project = makeProject({ url: rc.url });
    rc.refuseUploadsWith = 'Invalid App package. Could not find app.json';
    expect(await deployError(project, { env: aliceEnv })).toBe(
      `${rc.url} refused the upload (HTTP 400 on POST /api/apps): Invalid App package. Could not find app.json.`,
    );
  });

  it('--update for an app that is not installed fails instead of installing it', async () => {
    const project = makeProject({ url: rc.url });
    expect(await deployError(project, { env: aliceEnv, update: true })).toBe(
      `--update was given but app ${APP_ID} is not installed on ${rc.url}: run without --update to install it.`,
    );
    expect(rc.uploads).toHaveLength(0);
  });

  it('server unreachable: names the server and what to check; --url overrides .rcappsconfig', async () => {
    const gone = await startStandIn();
    await gone.close();
    const project = makeProject({ url: rc.url });
    expect(await deployError(project, { env: aliceEnv, url: gone.url })).toBe(
      `Cannot reach the Rocket.Chat server at ${gone.url} (POST /api/v1/login: connection refused). ` +
        'Check that the server is running and that "url" in .rcappsconfig (or --url) is right.',
    );
    expect(rc.requests).toHaveLength(0);
  });

  it('the CLI (npm run deploy = node scripts/deploy.mjs) deploys, exits 0; fails with the message and exit 1', async () => {
    const script = path.resolve(__dirname, '..', '..', 'scripts', 'deploy.mjs');
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, RC_USERNAME: BOB_2FA.username, RC_PASSWORD: BOB_2FA.password };
    const run = (cwd: string, args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [script, ...args], { cwd, env: childEnv }, (error, stdout, stderr) => {
          everythingShown.push(stdout, stderr);
          resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
        });
      });

    const project = makeProject({ url: 'http://127.0.0.1:9' });
    const ok = await run(project.dir, ['--url', rc.url, '--code', BOB_2FA.code]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe(`Installed OAuth Connector ${APP_VERSION} (app id ${APP_ID}) on ${rc.url}`);
    expect(rc.uploads[0].bytes.equals(project.zip)).toBe(true);

    const noCode = await run(project.dir, [`--url=${rc.url}`]);
    expect(noCode.code).toBe(1);
    expect(noCode.stderr.trim()).toBe(
      'deploy failed: Two-factor authentication is required for bob: run again with the current code, `npm run deploy -- --code <code>`.',
    );

    const usage = await run(project.dir, ['--password', BOB_2FA.password]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^deploy: Unknown option --password\./);
  }, 60_000);

  it('no password, token or 2FA code ever appears in a log line or an error message', () => {
    expect(everythingShown.length).toBeGreaterThan(30);
    const leaks = [...secrets].filter((secret) => everythingShown.some((text) => text.includes(secret)));
    expect(leaks).toEqual([]);
    // Clean by construction: the redaction net in deployApp never had to mask anything.
    expect(everythingShown.filter((text) => text.includes('[REDACTED]'))).toEqual([]);
  });
});
