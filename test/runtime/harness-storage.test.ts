// The harness's storage option: the apps' persistence records and setting values kept in a file, so a
// local run keeps them across a restart of the whole Node process. Two harnesses in turn share one file
// (the second installs the same zip again, as `npm start` does); the file's shape, modes, atomic and
// coalesced writes, the error on a damaged file, and memory mode (no file). Timings go to
// test-output/harness-storage-timings.json.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

// The module object itself (not an import namespace), so jest can spy on the calls file-store.ts makes.
import fsPromises = require('node:fs/promises');

import { AppsEngineHarness, type StoredRecord } from '../../tools/harness';
import { FileStore } from '../../tools/harness/file-store';
import { buildFixtureApp, PING_APP_CLASS_FILE, pingAppJson } from './fixtures/build-app';
import { Timings } from './fixtures/timings';

const APP = pingAppJson({ id: '3f6c2a9e-8d41-4b7a-9c05-6e1d2b8a4f70', name: 'Harness Storage Ping', nameSlug: 'harness-storage-ping' });
const USER = { id: 'user-alice', username: 'alice', name: 'Alice' };
const ROOM = { id: 'room-general', name: 'general', members: [USER.id] };
// The app calls this URL only from /harness-ping, which runs before the setting is set.
const TARGET = 'http://127.0.0.1:9/kept-across-restarts';

const mode = (path: string): number => statSync(path).mode & 0o777;

const timings = new Timings();

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startWithFixtures(file?: string): Promise<AppsEngineHarness> {
  const harness = await AppsEngineHarness.start(file ? { storage: { file } } : {});
  harness.addUser(USER);
  harness.addRoom(ROOM);
  return harness;
}

let workDir: string;
let zip: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'harness-storage-test-'));
  zip = await buildFixtureApp(PING_APP_CLASS_FILE, APP, join(workDir, 'zips'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(join(__dirname, '..', '..', 'test-output'), { recursive: true });
  await timings.write('harness-storage-timings');
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('a harness with a storage file, restarted', () => {
  let dataDir: string;
  let file: string;
  let storedBefore: StoredRecord[];

  beforeAll(() => {
    dataDir = join(workDir, 'local-data', 'harness'); // missing: the harness creates it
    file = join(dataDir, 'storage.json');
  });

  test('the first run stores a record and a setting; stop() leaves them in the file, 0600 in a 0700 folder', async () => {
    const harness = await timings.time('start (no file yet)', () => startWithFixtures(file));
    try {
      expect(mode(dataDir)).toBe(0o700);
      await harness.installZip(zip);
      await harness.runCommand({ command: 'harness-ping', args: ['kept', 'across'], userId: USER.id, roomId: ROOM.id });
      storedBefore = harness.stored();
      expect(storedBefore).toEqual([
        expect.objectContaining({
          appId: APP.id,
          associations: [
            { model: 'user', id: USER.id },
            { model: 'misc', id: 'ping' },
          ],
          data: expect.objectContaining({ args: ['kept', 'across'] }),
        }),
      ]);
      await harness.setSetting(APP.id, 'target_url', TARGET);
      expect(harness.appErrors(APP.id)).toEqual([]);
    } finally {
      // Right after the setting: only stop()'s flush can have written it.
      await timings.time('stop (flush)', () => harness.stop());
    }

    const contents = JSON.parse(await readFile(file, 'utf8'));
    // Exactly what the app stored and the setting value, nothing else.
    expect(contents).toEqual({
      format: 'apps-engine-harness-storage',
      version: 1,
      records: storedBefore,
      settings: { [APP.id]: { target_url: TARGET } },
    });
    expect(mode(file)).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
    expect(await readdir(dataDir)).toEqual(['storage.json']); // no temp file left behind
  });

  test('a new harness on the same file starts with the records; the reinstalled app reads its record and sees the setting', async () => {
    const harness = await timings.time('start (loading the file)', () => startWithFixtures(file));
    try {
      expect(harness.stored()).toEqual(storedBefore); // same ids, associations, data, appId
      await timings.time('install + enable + stored settings applied', () => harness.installZip(zip));

      expect(await harness.getSetting(APP.id, 'target_url')).toBe(TARGET);
      // In place before the app was enabled, as a Rocket.Chat instance loads an installed app from its
      // database: nothing is changed, so the app's onSettingUpdated does not run.
      expect(harness.appLogs(APP.id).flatMap((record) => record.entries.map((line) => line.args))).not.toContainEqual(['setting updated', 'target_url']);

      const res = await httpGet(harness.publicUrl(APP.id, 'records'));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ records: [storedBefore[0].data], target_url: TARGET });

      await harness.setSetting(APP.id, 'target_url', `${TARGET}/changed`);
      expect(harness.appErrors(APP.id)).toEqual([]);
    } finally {
      await harness.stop();
    }

    const contents = JSON.parse(await readFile(file, 'utf8'));
    expect(contents.records).toEqual(storedBefore);
    expect(contents.settings).toEqual({ [APP.id]: { target_url: `${TARGET}/changed` } });
    // Rewritten through a 0600 temp file: still 0600.
    expect(mode(file)).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['storage.json']);
  });
});

describe('a damaged or foreign storage file', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"format": "apps-engine-harness-storage", "records": [', /is not valid JSON/],
    [
      "another program's file",
      JSON.stringify({ name: 'some-package', version: '1.0.0' }),
      /is not a harness storage file \(no "format": "apps-engine-harness-storage"\)/,
    ],
    [
      'a record without an id',
      JSON.stringify({ format: 'apps-engine-harness-storage', version: 1, records: [{ appId: APP.id, associations: [], data: {} }], settings: {} }),
      /is damaged: records\.0\.id: /,
    ],
    ['a newer version', JSON.stringify({ format: 'apps-engine-harness-storage', version: 2, records: [], settings: {} }), /is damaged: version: /],
  ];

  test.each(cases)('%s: start() throws naming the file and the fault, and leaves the file as it was', async (_label, text, fault) => {
    const dir = await mkdtemp(join(workDir, 'damaged-'));
    const file = join(dir, 'storage.json');
    await writeFile(file, text, { mode: 0o600 });

    const started = AppsEngineHarness.start({ storage: { file } });
    await expect(started).rejects.toThrow(`Harness storage file ${file} `);
    await expect(started).rejects.toThrow(fault);
    expect(await readFile(file, 'utf8')).toBe(text);

    // Nothing was left running: a harness can start right after.
    const next = await AppsEngineHarness.start();
    await next.stop();
  });
});

describe('memory mode (no storage option)', () => {
  test('writes no file and keeps nothing from one harness to the next', async () => {
    const open = jest.spyOn(FileStore, 'open');
    const rename = jest.spyOn(fsPromises, 'rename');

    const first = await startWithFixtures();
    try {
      await first.installZip(zip);
      await first.runCommand({ command: 'harness-ping', args: [], userId: USER.id, roomId: ROOM.id });
      await first.setSetting(APP.id, 'target_url', TARGET);
      expect(first.stored()).toHaveLength(1);
    } finally {
      await first.stop();
    }

    const second = await startWithFixtures();
    try {
      expect(second.stored()).toEqual([]);
      await second.installZip(zip);
      expect(await second.getSetting(APP.id, 'target_url')).toBe('');
    } finally {
      await second.stop();
    }
    expect(open).not.toHaveBeenCalled();
    expect(rename).not.toHaveBeenCalled();
  });
});

describe('FileStore writes', () => {
  test('a burst of changes is one write; later changes are written again; flush() waits for the write', async () => {
    const dir = await mkdtemp(join(workDir, 'burst-'));
    const file = join(dir, 'storage.json');
    const records: StoredRecord[] = [];
    const rename = jest.spyOn(fsPromises, 'rename');
    const store = await FileStore.open(file, () => records);

    for (let index = 0; index < 20; index += 1) {
      records.push({ id: `r${index}`, appId: APP.id, associations: [{ model: 'misc', id: `n${index}` }], data: { token: `t${index}` } });
      store.changed();
      store.setSetting(APP.id, 'target_url', `${TARGET}/${index}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the short delay: written in the background
    expect(rename).toHaveBeenCalledTimes(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(expect.objectContaining({ records, settings: { [APP.id]: { target_url: `${TARGET}/19` } } }));

    records.splice(0, 10);
    store.changed();
    store.changed();
    const flushStart = performance.now();
    await store.flush(); // does not wait for the delay: writes now
    timings.figures['FileStore flush (10 records)'] = Math.round(performance.now() - flushStart);
    expect(rename).toHaveBeenCalledTimes(2);
    expect(JSON.parse(await readFile(file, 'utf8')).records).toEqual(records);
    expect(mode(file)).toBe(0o600);

    await store.flush(); // nothing pending: no write
    expect(rename).toHaveBeenCalledTimes(2);

    const reopened = await FileStore.open(file, () => []);
    expect(reopened.loadedRecords).toEqual(records);
    expect(reopened.settingsOf(APP.id)).toEqual(new Map([['target_url', `${TARGET}/19`]]));
  });

  test('a hand-copied file readable by others is made 0600 when opened', async () => {
    const dir = await mkdtemp(join(workDir, 'wide-'));
    const file = join(dir, 'storage.json');
    await writeFile(file, JSON.stringify({ format: 'apps-engine-harness-storage', version: 1, records: [], settings: {} }), { mode: 0o644 });
    await fsPromises.chmod(file, 0o644);

    await FileStore.open(file, () => []);

    expect(mode(file)).toBe(0o600);
  });
});
