/**
 * What one `/oauth` command costs in calls from the app's Deno subprocess to the server, each an IPC
 * round trip on the real runtime (counted by the harness: tools/harness/round-trips.ts). With the
 * settings snapshot in the app's process (src/rocketchat/settings-snapshot.ts), a command that reads
 * one token makes at most 4, and the token getter makes 1 (the token read) while the token is valid.
 */
import { watchNotice } from '../support/eventually';
import type { AppsEngineHarness } from '../../tools/harness';
import { AppBrowser } from '../support/app-browser';
import { APP_ID } from '../support/app-package';
import type { TestAuthServer } from '../support/auth-servers';
import { demoProviderSettings, startDemoProvider } from '../support/demo-oidc';
import { connectLinkFor, runOAuth, startPackagedApp } from '../support/packaged-app';
import { authorizeAs } from '../support/user-agent';

const USER = { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] };
const ROOM = { id: 'r-alice', name: 'alice-room', members: [USER.id] };
const WHERE = { userId: USER.id, roomId: ROOM.id };

let harness: AppsEngineHarness;
let provider: TestAuthServer;

/** Runs `/oauth …` and answers the round trips it made, by method. */
async function costOf(...args: string[]): Promise<{ total: number; byMethod: Record<string, number>; text: string }> {
  harness.resetRoundTrips();
  const { text } = await runOAuth(harness, WHERE, ...args);
  return { ...harness.roundTripsOf(APP_ID), text };
}

const readsOf = (cost: { byMethod: Record<string, number> }, what: string) =>
  Object.entries(cost.byMethod)
    .filter(([method]) => method.endsWith(what))
    .reduce((sum, [, n]) => sum + n, 0);

let completeUrl = '';

beforeAll(async () => {
  harness = await startPackagedApp({
    users: [USER],
    rooms: [ROOM],
    configure: async (_harness, redirect) => {
      completeUrl = redirect;
      provider = await startDemoProvider(redirect, { accessTokenTTL: 3600 });
      return demoProviderSettings(provider);
    },
  });
  const browser = new AppBrowser();
  const callback = await authorizeAs(await browser.startConnect(await connectLinkFor(harness, WHERE)), { account: 'alice', redirectUriPrefix: completeUrl });
  const notice = watchNotice(harness, USER.id);
  expect((await browser.fetch(callback)).status).toBe(200);
  await notice.arrived();
});

afterAll(async () => {
  await harness?.stop();
  await provider?.close();
});

afterEach(() => {
  expect(harness.appErrors(APP_ID)).toEqual([]);
});

describe('round trips from the app to the server, per /oauth command, on the real runtime', () => {
  it('token, status and whoami for a connected user: at most 4 each, no setting read; the getter reads the token once', async () => {
    await costOf('whoami'); // the first use warms the process: settings snapshot, app user, discovery
    const table: string[] = [];
    for (const args of [['token'], ['status'], ['whoami'], ['help']]) {
      const cost = await costOf(...args);
      table.push(
        `/oauth ${args.join(' ')}: ${cost.total} (${Object.entries(cost.byMethod)
          .map(([m, n]) => `${m.split(':').slice(-2).join(':')} ${n}`)
          .join(', ')})`,
      );
      expect(cost.total).toBeLessThanOrEqual(4);
      expect(readsOf(cost, 'getValueById')).toBe(0);
      if (args[0] === 'whoami') {
        expect(cost.text).toContain('Demo says you are *alice*');
        // The token service's getter: one read of the token, nothing else from persistence.
        expect(readsOf(cost, 'readByAssociations')).toBe(1);
      }
    }
    console.log(table.join('\n'));
  });

  it('a setting change is read once, every setting together, and the next command sees it at no extra cost', async () => {
    harness.resetRoundTrips();
    await harness.setSetting(APP_ID, 'provider1_scopes', 'openid profile');
    const settingIds = new Set(harness.settingIds(APP_ID));
    // onSettingUpdated dropped the snapshot and its check of the provider slots read it again, once.
    expect(readsOf(harness.roundTripsOf(APP_ID), 'getValueById')).toBe(settingIds.size);
    expect((await costOf('token')).total).toBeLessThanOrEqual(4);
    const page = await new AppBrowser().open(await connectLinkFor(harness, WHERE));
    expect(page.html).toContain('openid profile');
    expect(page.html).not.toContain('offline_access');
  });

  it('a whole connect flow: the command 4, the page 1 and its button 5 (the link names the user: no user read; the claim read back), the callback 3 before its page (the state taken, the provider’s token endpoint, the connection stored) and 13 after it (the link and its states removed, the userinfo, the name recorded under the lease, the notice), a sweep aside', async () => {
    const costs: Record<string, number> = {};
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      harness.resetRoundTrips();
      const result = await run();
      costs[name] = harness.roundTripsOf(APP_ID).total;
      return result;
    };
    const link = await step('connect', () => connectLinkFor(harness, WHERE));
    const browser = new AppBrowser();
    const page = await step('page', () => browser.open(link));
    const pressed = await step('button', async () => {
      const response = await browser.submit(page);
      await response.arrayBuffer();
      return response;
    });
    const callback = await authorizeAs(pressed.headers.get('location')!, { account: 'alice', redirectUriPrefix: completeUrl });
    harness.clearMessages();
    const notice = watchNotice(harness, USER.id);
    harness.resetRoundTrips();
    const done = await (await browser.fetch(callback)).text();
    expect(done).toContain('Connected');
    // What the page waited for: the calls made before the app's answer arrived. What follows
    // it (the link removed, the account name from the provider recorded under the refresh lease,
    // the notice) starts once the answer is handed over, and may reach the server before the
    // browser has read the page.
    costs.callback = harness.roundTripsBeforeAnswer(APP_ID) ?? Number.NaN;
    await notice.arrived();
    costs['after the page'] = harness.roundTripsOf(APP_ID).total - costs.callback;
    console.log(`connect flow round trips: ${JSON.stringify(costs)}`);
    // Measured 4, 1, 5, 3 and 13. A step that stores a record may also sweep expired ones, at most once a
    // minute per process (two calls: the bucket and the cursor), which the bounds allow.
    expect(costs.connect).toBeLessThanOrEqual(4 + 2);
    expect(costs.page).toBe(1);
    expect(costs.button).toBeLessThanOrEqual(5 + 2);
    expect(costs.callback).toBe(3);
    // After the page, the lease (register-lease.ts) makes 3 or 4 calls, more when it clears a stale claim.
    expect(costs['after the page']).toBeLessThanOrEqual(13 + 2);
  });
});
