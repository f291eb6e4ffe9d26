// The harness hosting the real Apps-Engine 1.62.0 server runtime (each app in a Deno subprocess):
// a fixture app is bundled and zipped at test time, installed, and exercised through every bridge the
// harness provides. Timings go to test-output/harness-timings.json.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { AppsEngineHarness } from '../../tools/harness';
import { buildFixtureApp, PING_APP_CLASS_FILE, PING_APP_PERMISSIONS, pingAppJson } from './fixtures/build-app';
import { Timings } from './fixtures/timings';

const MAIN_APP = pingAppJson({ id: '5d0b1d8e-2a4f-4c1e-9a57-0f3b8d5e7a11', name: 'Harness Ping', nameSlug: 'harness-ping' });
const NO_PERSISTENCE_APP = pingAppJson(
  { id: '9a3c7f52-61d4-4b8e-8f0a-2c6e1b7d9e34', name: 'Harness Ping Without Persistence', nameSlug: 'harness-ping-no-persistence' },
  PING_APP_PERMISSIONS.filter((name) => name !== 'persistence'),
);

const USER = { id: 'user-alice', username: 'alice', name: 'Alice', language: 'de' };
const ROOM = { id: 'room-general', name: 'general', members: [USER.id] };

const timings = new Timings();

interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain node:http call without keep-alive (nothing left open after the test). */
function http(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

let workDir: string;
let mainZip: string;
let noPersistenceZip: string;
let target: Server;
let targetUrl: string;
const targetRequests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'harness-test-'));
  mainZip = await buildFixtureApp(PING_APP_CLASS_FILE, MAIN_APP, workDir);
  noPersistenceZip = await buildFixtureApp(PING_APP_CLASS_FILE, NO_PERSISTENCE_APP, workDir);

  // The app's outbound HTTP goes here, for real, through the harness's http bridge.
  target = createServer((req, res) => {
    targetRequests.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the target');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => target.close(() => resolve()));
  await rm(workDir, { recursive: true, force: true });
  await mkdir(join(__dirname, '..', '..', 'test-output'), { recursive: true });
  await timings.write('harness-timings');
});

describe('AppsEngineHarness on the real Apps-Engine 1.62.0 Deno runtime', () => {
  let harness: AppsEngineHarness;
  let appId: string;

  beforeAll(async () => {
    harness = await timings.time('harness start', () => AppsEngineHarness.start());
    harness.addUser(USER);
    harness.addRoom(ROOM);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('installs and enables the app', async () => {
    ({ appId } = await timings.time('install + enable', () => harness.installZip(mainZip)));

    expect(appId).toBe(MAIN_APP.id);
    expect(await harness.appStatus(appId)).toBe('manually_enabled');
    expect(harness.denoProcessId(appId)).toEqual(expect.any(Number));
  });

  test('keeps the engine permission checks on (NODE_ENV is not "test")', () => {
    expect(process.env.NODE_ENV).not.toBe('test');
    expect(harness.permissionChecksLive()).toBe(true);
  });

  test('setSetting runs the app onSettingUpdated; getSetting reads the value back', async () => {
    expect(await harness.getSetting(appId, 'target_url')).toBe('');

    await harness.setSetting(appId, 'target_url', `${targetUrl}/hello`);

    expect(await harness.getSetting(appId, 'target_url')).toBe(`${targetUrl}/hello`);
    expect(harness.appLogs(appId).flatMap((record) => record.entries.map((line) => line.args))).toContainEqual(['setting updated', 'target_url']);
  });

  test('a slash command notifies the user with blocks, persists by association, reads Site_Url and calls out over HTTP', async () => {
    harness.clearMessages();
    await timings.time('slash command', () => harness.runCommand({ command: '/harness-ping', args: ['one', 'two'], userId: USER.id, roomId: ROOM.id }));

    expect(harness.messages()).toEqual([
      expect.objectContaining({
        kind: 'ephemeral',
        roomId: ROOM.id,
        toUserId: USER.id,
        text: `pong site=${harness.baseUrl} http=200 body=hello from the target`,
        blocks: [expect.objectContaining({ type: 'actions', elements: [expect.objectContaining({ type: 'button', actionId: 'ping-again' })] })],
      }),
    ]);
    expect(harness.stored()).toEqual([
      expect.objectContaining({
        appId,
        associations: [
          { model: 'user', id: USER.id },
          { model: 'misc', id: 'ping' },
        ],
        data: { args: ['one', 'two'], siteUrl: harness.baseUrl, httpStatus: 200 },
      }),
    ]);
    expect(targetRequests.map((req) => req.url)).toEqual(['/hello?from=alice']);

    const appLines = harness.appLogs(appId).flatMap((record) => record.entries);
    expect(appLines.map((line) => line.args)).toContainEqual(['ping answered for', 'alice']);
    expect(appLines.every((line) => line.source === 'app')).toBe(true);
    // The runtime's own entries about the request are kept apart (they carry request data).
    expect(harness.runtimeLogs(appId).some((record) => record.method === 'slashcommand:harness-ping:executor')).toBe(true);
    expect(harness.appErrors(appId)).toEqual([]);
  });

  test('a public endpoint answers over real HTTP: GET echoes the query, POST the JSON body', async () => {
    const get = await timings.time('endpoint GET', () => http(harness.publicUrl(appId, 'ping?code=abc&state=xyz')));
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(get.body)).toEqual({ query: { code: 'abc', state: 'xyz' } });

    const post = await http(harness.publicUrl(appId, 'ping?via=post'), {
      method: 'POST',
      body: JSON.stringify({ hello: 'world' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(200);
    expect(JSON.parse(post.body)).toEqual({ query: { via: 'post' }, content: { hello: 'world' } });
  });

  test('a public endpoint can redirect: 302 with Location', async () => {
    const res = await http(harness.publicUrl(appId, 'redirect'));

    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://auth.example.test/authorize?state=abc');
  });

  test('unknown endpoints and apps answer 404', async () => {
    expect((await http(harness.publicUrl(appId, 'nope'))).status).toBe(404);
    expect((await http(harness.publicUrl('00000000-0000-4000-8000-000000000000', 'ping'))).status).toBe(404);
  });

  test('a killed Deno subprocess is restarted by the engine and the command answers again', async () => {
    const pid = harness.denoProcessId(appId);
    expect(pid).toEqual(expect.any(Number));
    harness.clearMessages();

    const killedAt = performance.now();
    process.kill(pid as number);
    // Wait without asking the app anything (see waitForRuntimeReady on why), then run the command once.
    const newPid = await harness.waitForRuntimeReady(appId, { replacing: pid });
    timings.figures['deno restart (kill -> ready)'] = Math.round(performance.now() - killedAt);
    await harness.runCommand({ command: 'harness-ping', args: [], userId: USER.id, roomId: ROOM.id });
    timings.figures['deno restart (kill -> command answered)'] = Math.round(performance.now() - killedAt);

    expect(newPid).not.toBe(pid);
    expect(harness.denoProcessId(appId)).not.toBe(pid);
    expect(harness.messages()[0]).toEqual(expect.objectContaining({ kind: 'ephemeral', toUserId: USER.id }));
    expect(harness.appErrors(appId)).toEqual([]);
  });
});

describe('a second harness in the same process, after the first stopped', () => {
  let harness: AppsEngineHarness;
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    harness = await AppsEngineHarness.start({ siteUrl: 'https://chat.example.test/' });
    harness.addUser(USER);
    harness.addRoom(ROOM);
  });

  afterAll(async () => {
    await harness?.stop();
    consoleError.mockRestore();
  });

  test('an app without the persistence permission cannot store: the engine denies it and the app sees no record id', async () => {
    const { appId } = await harness.installZip(noPersistenceZip);
    await harness.runCommand({ command: 'harness-ping', args: [], userId: USER.id, roomId: ROOM.id });

    // The command itself still answers (Site_Url from the options) ...
    expect(harness.messages()).toEqual([expect.objectContaining({ kind: 'ephemeral', text: 'pong site=https://chat.example.test/ http=none body=' })]);
    // ... but nothing was stored: the engine's bridge refused, printed why, and handed the app null.
    expect(harness.stored()).toEqual([]);
    // AppPermissionManager.notifyAboutError prints it with console.error (as `Error: …`: the class sets no name).
    const denials = consoleError.mock.calls.map((args) => args.join(' ')).filter((line) => line.includes('lacks the following permissions'));
    expect(denials).toEqual([expect.stringContaining(`the app (${appId}) lacks the following permissions:\n["persistence"]`)]);
    expect(harness.appErrors(appId)).toEqual(['slashcommand:harness-ping:executor: persistence returned no record id']);
  });
});
