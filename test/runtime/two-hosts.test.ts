/**
 * Two Rocket.Chat server instances of one cluster, stood in for by the harness (tools/harness/cluster.ts):
 * instance A is an AppsEngineHarness in the jest process, instance B a harness in a child Node process
 * (the engine's AppManager is a process-wide singleton). Each runs the packaged app in its own Deno
 * subprocess and serves its endpoints on its own port; both persist to ONE shared store in the jest
 * process (B over its IPC channel), with Rocket.Chat's persistence semantics and no compare-and-set,
 * as instances share one MongoDB. One Site_Url for both, as behind a load balancer. The authorization
 * server is oidc-provider with 2-second access tokens and rotating refresh tokens.
 *
 * What this proves is the stand-in itself: a connection made through one instance is seen and used by
 * the other, records either instance writes are read by the other, settings (the key the app generates
 * at its first enable included) reach the app on both and are relayed between them as Rocket.Chat does,
 * commands run concurrently on both, and stopping leaves no process behind. Timings go to
 * test-output/two-hosts-timings.json.
 */
import { performance } from 'node:perf_hooks';

import type { HarnessCluster, HarnessHost } from '../../tools/harness';
import { haveProc, descendants, stillRunning } from '../local/processes';
import { AppBrowser } from '../support/app-browser';
import { APP_ID } from '../support/app-package';
import { refreshGrantCounts, type TestAuthServer } from '../support/auth-servers';
import { DEMO_CLIENT as CLIENT, demoProviderSettings, startDemoProvider } from '../support/demo-oidc';
import { openedTokens } from '../support/sealed-records';
import { connectThroughBrowser, oauthOn, startPackagedCluster } from '../support/packaged-cluster';
import { Timings } from './fixtures/timings';

const USERS = {
  alice: { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] },
  bob: { id: 'u-bob', username: 'bob', name: 'Bob', roles: ['user'] },
};
const ROOMS = { alice: { id: 'r-alice', name: 'alice-room', members: ['u-alice'] }, bob: { id: 'r-bob', name: 'bob-room', members: ['u-bob'] } };
/** One room per concurrent caller: a command's replies are told apart by user and room. */
const BURST_ROOMS = Array.from({ length: 8 }, (_, i) => ({ id: `r-alice-${i}`, name: `alice-burst-${i}`, members: ['u-alice'] }));
type Who = keyof typeof USERS;

const where = (who: Who) => ({ userId: USERS[who].id, roomId: ROOMS[who].id });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const timings = new Timings();

let cluster: HarnessCluster;
let A: HarnessHost;
let B: HarnessHost;
let provider: TestAuthServer;
let completeUrl: string;
let stopped = false;

/** The user's tokens in the shared store, opened with instance A's key (sealed records: test/support/sealed-records.ts). */
async function storedTokenOf(who: Who): Promise<{ accessToken: string; refreshToken?: string } | undefined> {
  const record = cluster
    .stored()
    .find((r) => r.associations.some((a) => a.model === 'user' && a.id === USERS[who].id) && r.associations.some((a) => a.id === 'oauth-token:demo'));
  return record && openedTokens(cluster.harness, record);
}

describe('a Rocket.Chat cluster stood in for by two harness hosts: instance B is a child Node process standing in for a second cluster node, on one shared persistence store, against oidc-provider (2-second tokens, rotating refresh tokens)', () => {
  beforeAll(async () => {
    cluster = await timings.time('cluster start (A in-process, B child), package build, provider start, install on both', () =>
      startPackagedCluster({
        users: Object.values(USERS),
        rooms: [...Object.values(ROOMS), ...BURST_ROOMS],
        configure: async (started, redirectUri) => {
          completeUrl = redirectUri;
          // One Site_Url for the cluster: one redirect URI, whichever instance built it.
          provider = await startDemoProvider(redirectUri, { accessTokenTTL: 2, rotateRefreshToken: true });
          expect(started.hosts).toHaveLength(2);
          return demoProviderSettings(provider);
        },
      }),
    );
    [A, B] = cluster.hosts;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await provider?.close();
    await timings.write('two-hosts-timings');
  });

  afterEach(async () => {
    if (!stopped) expect(await cluster.appErrors(APP_ID)).toEqual([]);
  });

  it('instance B is a child Node process with its own engine, Deno subprocess and endpoint port, permission checks on; both share one Site_Url', async () => {
    expect(A.pid).toBe(process.pid);
    expect(B.pid).not.toBe(process.pid);
    expect(new URL(B.baseUrl).port).not.toBe(new URL(A.baseUrl).port);
    const [denoA, denoB] = await Promise.all([A.denoProcessId(APP_ID), B.denoProcessId(APP_ID)]);
    expect(denoA).toBeDefined();
    expect(denoB).toBeDefined();
    expect(denoA).not.toBe(denoB);
    for (const host of [A, B]) {
      expect(await host.permissionChecksLive()).toBe(true);
      expect(await host.appStatus(APP_ID)).toBe('manually_enabled');
    }
    // One Site_Url for the cluster: A's own address, so the redirect URI is A's endpoint whichever instance built it.
    expect(completeUrl).toBe(A.publicUrl(APP_ID, 'complete'));
  });

  it("settings saved through the cluster reach the app on each instance: each one's onSettingUpdated ran; B started with the key A's app generated", async () => {
    // The app generates its token sealing key at its first enable (on A); B loaded the app with it, as
    // an instance loads an installed app from the database, instead of generating its own.
    const key = await A.getSetting(APP_ID, 'token_key');
    expect(key).toBeTruthy();
    expect(await B.getSetting(APP_ID, 'token_key')).toBe(key);
    // Had B generated its own, the relay would have made one instance retire the other's.
    for (const host of [A, B]) expect(await host.getSetting(APP_ID, 'token_keys_retired')).toBeFalsy();
    for (const host of [A, B]) {
      expect(await host.getSetting(APP_ID, 'provider1_site')).toBe(provider.issuer);
      const updated = (await host.runtimeLogs(APP_ID)).filter((record) => record.method === 'app:onSettingUpdated');
      expect(updated.length).toBeGreaterThanOrEqual(7);
      // The app on this instance reads the provider these settings describe.
      expect((await oauthOn(host, where('alice'), 'status')).text).toContain('Demo: not connected');
    }
  });

  it('a setting an administrator changes on instance B is relayed to instance A, where the app applies it too', async () => {
    const updatesOnA = async () => (await A.runtimeLogs(APP_ID)).filter((record) => record.method === 'app:onSettingUpdated').length;
    const before = await updatesOnA();
    await cluster.setSetting(APP_ID, 'outbound_allowed_hosts', 'intranet.example.test', B);
    expect(await A.getSetting(APP_ID, 'outbound_allowed_hosts')).toBe('intranet.example.test');
    expect(await updatesOnA()).toBe(before + 1);
    await cluster.setSetting(APP_ID, 'outbound_allowed_hosts', '');
    expect(await B.getSetting(APP_ID, 'outbound_allowed_hosts')).toBe('');
    expect(cluster.store.relayErrors()).toEqual([]);
  });

  it('alice connects through instance A; /oauth status and /oauth whoami on instance B see and use that connection', async () => {
    const { status, html } = await connectThroughBrowser(A, where('alice'), { browser: new AppBrowser(), account: 'alice', completeUrl });
    expect(status).toBe(200);
    expect(html).toContain('Connected');
    expect((await storedTokenOf('alice'))?.accessToken).toBeTruthy();

    expect((await oauthOn(B, where('alice'), 'status')).text).toContain('Demo: connected as alice');
    expect((await oauthOn(B, where('alice'), 'whoami')).text).toContain('Demo says you are *alice*');
    expect((await oauthOn(A, where('bob'), 'status')).text).toContain('Demo: not connected');
  });

  it('records written by instance B are read by instance A: a refresh on B after the 2-second token expired, then A uses the new token without refreshing', async () => {
    const before = (await storedTokenOf('alice'))!;
    await sleep(2200);
    await provider.resetTokenRequests();
    cluster.store.resetOperationCounts();

    expect((await oauthOn(B, where('alice'), 'whoami')).text).toContain('Demo says you are *alice*');
    const after = (await storedTokenOf('alice'))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await refreshGrantCounts(provider)).toMatchObject({ total: 1, succeeded: 1, reused: 0 });
    // The new token set was written by B, through its channel to the store.
    expect(cluster.store.operationCounts().B?.updateByAssociations).toBeGreaterThanOrEqual(1);

    const token = await oauthOn(A, where('alice'), 'token');
    expect(token.text).toContain(`…${after.accessToken.slice(-4)}`);
    expect((await oauthOn(A, where('alice'), 'whoami')).text).toContain('Demo says you are *alice*');
    expect((await refreshGrantCounts(provider)).total).toBe(1);
    expect(cluster.store.operationCounts().A?.readByAssociations).toBeGreaterThanOrEqual(2);
    expect((await provider.introspect(after.accessToken, CLIENT)).active).toBe(true);
  });

  it("a Connect link made by instance B and opened at B's own port completes at A's endpoint (Site_Url): the pending flow crosses instances", async () => {
    const { status, html } = await connectThroughBrowser(B, where('bob'), { browser: new AppBrowser(), account: 'bob', completeUrl, openAt: B, callbackAt: A });
    expect(status).toBe(200);
    expect(html).toContain('Connected');
    expect((await oauthOn(A, where('bob'), 'status')).text).toContain('Demo: connected as bob');
    expect((await oauthOn(B, where('bob'), 'whoami')).text).toContain('Demo says you are *bob*');
    // Nothing left pending in the shared store.
    expect(cluster.stored().filter((r) => r.associations.some((a) => a.id === 'oauth-link' || a.id === 'oauth-state'))).toEqual([]);
  });

  it('commands run concurrently on both instances, one caller per room: each gets exactly its own reply', async () => {
    const callers = BURST_ROOMS.flatMap((room) => [A, B].map((host) => ({ host, room })));
    // Warm both instances, then time a command's round trip seen from jest (B's through its channel).
    for (const host of [A, B]) await oauthOn(host, where('alice'), 'status');
    for (const host of [A, B]) {
      cluster.store.resetOperationCounts();
      const roundTrips: number[] = [];
      const onHost: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const start = performance.now();
        onHost.push((await oauthOn(host, where('alice'), 'status')).durationMs);
        roundTrips.push(performance.now() - start);
      }
      timings.figures[`/oauth status on ${host.name}, median round trip from jest (ms)`] = Math.round(median(roundTrips) * 10) / 10;
      timings.figures[`/oauth status on ${host.name}, median on the host (ms)`] = Math.round(median(onHost) * 10) / 10;
      const operations = Object.values(cluster.store.operationCounts()[host.name] ?? {}).reduce((sum, count) => sum + (count ?? 0), 0);
      timings.figures[`/oauth status on ${host.name}, store operations per command`] = operations / 20;
    }

    const start = performance.now();
    const replies = await Promise.all(
      callers.map(({ host, room }) => oauthOn(host, { userId: USERS.alice.id, roomId: room.id }, 'status').then((reply) => ({ host: host.name, reply }))),
    );
    timings.figures[`${callers.length} concurrent /oauth status on A and B (ms)`] = Math.round(performance.now() - start);
    expect(replies).toHaveLength(16);
    for (const { reply } of replies) expect(reply.text).toContain('Demo: connected as alice');
    expect(new Set(replies.map((r) => r.host))).toEqual(new Set(['A', 'B']));
  });

  it('stopping the cluster leaves no process: instance B’s Node process and both Deno subprocesses are gone', async () => {
    const pids = [B.pid, (await A.denoProcessId(APP_ID))!, (await B.denoProcessId(APP_ID))!];
    if (haveProc) expect(stillRunning(pids)).toEqual(pids);
    await timings.time('cluster stop', () => cluster.stop());
    stopped = true;
    await expect(B.runCommand({ command: 'oauth', args: ['status'], ...where('alice') })).rejects.toThrow(/not running/);
    if (!haveProc) return; // the process table is read from /proc (Linux)
    expect(stillRunning(pids)).toEqual([]);
    const leftovers = descendants(process.pid).filter((p) => /deno|apps-engine-harness-host/.test(p.command));
    expect(leftovers).toEqual([]);
  });
});
