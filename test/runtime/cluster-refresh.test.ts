/**
 * One refresh per expiry across server instances, on the real runtime: two Rocket.Chat instances
 * stood in for by two harness hosts on one shared persistence store (instance B a child Node process,
 * tools/harness/cluster.ts), against oidc-provider with 2-second access tokens and rotating refresh
 * tokens, where a refresh token sent twice kills the grant (RFC 9700 §4.14.2).
 *
 * Several users, each with four getters running at once (two on each instance: `/oauth whoami`,
 * which gets the token through the token service and calls the userinfo endpoint), until the provider
 * has answered at least 1,000 refreshes. Within an instance the getter's single flight shares one
 * refresh; across instances the lease on the engine's persistence (src/core/register-lease.ts) does.
 * The test prints the token requests per expiry (the aim is 1) and fails on any refused refresh,
 * any refresh token sent twice, or any answer other than the user's account.
 */
import type { HarnessCluster, HarnessHost } from '../../tools/harness';
import { AppBrowser } from '../support/app-browser';
import { APP_ID } from '../support/app-package';
import { refreshGrantCounts, type TestAuthServer } from '../support/auth-servers';
import { demoProviderSettings, startDemoProvider } from '../support/demo-oidc';
import { connectThroughBrowser, oauthOn, startPackagedCluster } from '../support/packaged-cluster';

const CYCLES = 1_000;
const USER_COUNT = 10;
const GETTERS_PER_INSTANCE = 2;

const USERS = Array.from({ length: USER_COUNT }, (_, i) => ({ id: `u-${i}`, username: `user${i}`, name: `User ${i}`, roles: ['user'] }));
/** The provider's test accounts: chat users share them, each chat user with a grant of their own. */
const ACCOUNTS = ['alice', 'bob', 'carol'];
const accountOf = (u: number) => ACCOUNTS[u % ACCOUNTS.length];
/** One room per getter: a command's reply is told apart by user and room. */
const roomOf = (user: number, host: string, getter: number) => `r-${user}-${host}-${getter}`;
const ROOMS = USERS.flatMap((user, u) =>
  ['A', 'B'].flatMap((host) =>
    Array.from({ length: GETTERS_PER_INSTANCE }, (_, g) => ({ id: roomOf(u, host, g), name: roomOf(u, host, g), members: [user.id] })),
  ),
);

let cluster: HarnessCluster;
let provider: TestAuthServer;
let completeUrl: string;

beforeAll(async () => {
  cluster = await startPackagedCluster({
    users: USERS,
    rooms: ROOMS,
    configure: async (_cluster, redirectUri) => {
      completeUrl = redirectUri;
      provider = await startDemoProvider(redirectUri, { accessTokenTTL: 2, rotateRefreshToken: true });
      return demoProviderSettings(provider);
    },
  });
  // Each user connects once, through instance A; the getters then run on both.
  for (const [u, user] of USERS.entries()) {
    const { status } = await connectThroughBrowser(
      cluster.hosts[0],
      { userId: user.id, roomId: roomOf(u, 'A', 0) },
      { browser: new AppBrowser(), account: accountOf(u), completeUrl },
    );
    expect(status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await provider?.close();
});

it(`two instances, ${USER_COUNT} users, ${2 * GETTERS_PER_INSTANCE} concurrent getters per user: at least ${CYCLES} refreshes, one token request per expiry, no grant killed`, async () => {
  await provider.resetTokenRequests();
  const started = Date.now();
  const wrong: string[] = [];
  let calls = 0;
  let done = false;
  const getter = async (host: HarnessHost, u: number, g: number) => {
    const where = { userId: USERS[u].id, roomId: roomOf(u, host.name, g) };
    while (!done) {
      const reply = await oauthOn(host, where, 'whoami');
      calls += 1;
      if (!reply.text.includes(`says you are *${accountOf(u)}*`)) wrong.push(`${host.name} ${USERS[u].username}: ${reply.text.slice(0, 300)}`);
      if (wrong.length) done = true;
    }
  };
  const watch = (async () => {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // The hosts keep every reply; a long run clears them as it goes.
      await Promise.all(cluster.hosts.map((host) => host.clearMessages()));
      const counts = await refreshGrantCounts(provider);
      if (counts.succeeded >= CYCLES || counts.failed > 0 || counts.reused > 0 || done || Date.now() - started > 600_000) {
        done = true;
        return;
      }
    }
  })();
  await Promise.all([
    watch,
    ...cluster.hosts.flatMap((host) => USERS.flatMap((_, u) => Array.from({ length: GETTERS_PER_INSTANCE }, (_, g) => getter(host, u, g)))),
  ]);

  const counts = await refreshGrantCounts(provider);
  const seconds = (Date.now() - started) / 1000;
  // Each successful refresh renewed one expiry; any other token request for it was one too many.
  const perExpiry = counts.total / Math.max(1, counts.succeeded);
  console.log(
    [
      `cluster refresh: ${seconds.toFixed(0)} s, ${calls} /oauth whoami on 2 instances`,
      `refresh grants: ${counts.total} sent, ${counts.succeeded} answered 200, ${counts.failed} refused, ${counts.reused} refresh tokens sent twice`,
      `token requests per expiry: ${perExpiry.toFixed(3)} (aim: 1)`,
    ].join('\n'),
  );
  expect(wrong).toEqual([]);
  expect(counts.succeeded).toBeGreaterThanOrEqual(CYCLES);
  expect(counts.failed).toBe(0);
  expect(counts.reused).toBe(0);
  expect(perExpiry).toBe(1);
  expect(await cluster.appErrors(APP_ID)).toEqual([]);
}, 900_000);
