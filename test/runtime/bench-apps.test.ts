/**
 * What `npm run bench` compares the app with is real: Rocket.Chat's built-in OAuth2 client, used as
 * the Apps-Engine documentation's sample uses it (bench/apps/builtin-sample), loads on the 1.62.0
 * Deno runtime, registers what it registers on a server, and reads a connection stored the way it
 * stores one. And the engine-baseline app, the bench's "no app work", answers without doing anything.
 * No time is asserted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SAMPLE_ALIAS } from '../../bench/apps/builtin-sample/BuiltinSampleApp';
import { BENCH_APP_IDS, buildBuiltinSample, buildEngineBaseline } from '../../bench/build-apps';
import { storeBuiltinConnection } from '../../bench/builtin-connection';
import { AppsEngineHarness } from '../../tools/harness';

const USER = { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] };
const WHERE = { userId: USER.id, roomId: 'r-alice' };

let harness: AppsEngineHarness;

beforeAll(async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-apps-'));
  harness = await AppsEngineHarness.start();
  harness.addUser(USER);
  harness.addRoom({ id: WHERE.roomId, name: 'alice-room', members: [USER.id] });
  await harness.installZip(await buildBuiltinSample(outDir));
  await harness.installZip(await buildEngineBaseline(outDir));
}, 60_000);

afterAll(async () => {
  await harness?.stop();
});

afterEach(() => {
  expect(harness.appErrors()).toEqual([]);
});

/** The text of the one reply the user got. */
async function reply(command: string, ...args: string[]): Promise<string> {
  const { replies } = await harness.runCommandForReplies({ command, args, ...WHERE });
  expect(replies).toHaveLength(1);
  return replies[0].text ?? '';
}

describe('the bench apps on the runtime', () => {
  it('the built-in client registers its callback endpoint and its two settings, as on a server', async () => {
    expect(harness.settingIds(BENCH_APP_IDS.builtin).sort()).toEqual([`${SAMPLE_ALIAS}-oauth-client-id`, `${SAMPLE_ALIAS}-oauth-clientsecret`]);
    // Without a code, its callback says the user declined (401) rather than not being there (404).
    const callback = await fetch(`${harness.publicUrl(BENCH_APP_IDS.builtin, `${SAMPLE_ALIAS}-callback`)}?state=${USER.id}`);
    expect(callback.status).toBe(401);
  });

  it('the sample tells a user without a connection so, and one with a connection their token, by its last four characters', async () => {
    expect(await reply('sample-oauth', 'token')).toContain('You are not connected');
    storeBuiltinConnection(harness, BENCH_APP_IDS.builtin, SAMPLE_ALIAS, USER.id);
    expect(await reply('sample-oauth', 'token')).toMatch(/Your token: ….{4} \(43 characters\), scope openid profile email/);
  });

  it("the bench's loop finds the token every time", async () => {
    const figures = JSON.parse(await reply('builtin-bench', 'getter', '50'));
    expect(figures).toMatchObject({ ok: true, n: 50, failures: 0 });
  });

  it('the engine-baseline command and endpoint answer, with nothing', async () => {
    expect((await harness.runCommandForReplies({ command: 'engine-noop', args: [], ...WHERE })).replies).toEqual([]);
    for (const method of ['GET', 'POST']) {
      const response = await fetch(harness.publicUrl(BENCH_APP_IDS.baseline, 'noop'), { method });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    }
  });
});
