/**
 * What the measurements share: one harness (the real Apps-Engine 1.62.0 runtime, each app in its own
 * Deno process, one persistence) with the three bench apps installed, one user and their rooms, and
 * two oidc-provider servers on loopback: `demo` (hour-long tokens: getters, commands, flows) and
 * `short` (tokens of SHORT_TOKEN_TTL_S seconds, for a token that really expires). The app's calls
 * to `demo` go through a timing proxy, so a flow's provider time is known.
 */
import { watchNotice } from '../test/support/eventually';
import { AppsEngineHarness } from '../tools/harness';
import type { TestAuthServer } from '../test/support/auth-servers';
import { AppBrowser } from '../test/support/app-browser';
import { DEMO_CLIENT, demoProviderSettings, startDemoProvider } from '../test/support/demo-oidc';
import { connectLinkFor } from '../test/support/packaged-app';
import { authorizeAs } from '../test/support/user-agent';
import { SAMPLE_ALIAS } from './apps/builtin-sample/BuiltinSampleApp';
import { BENCH_APP_IDS, type BenchZips } from './build-apps';
import { storeBuiltinConnection } from './builtin-connection';
import { TimingProxy } from './timing-proxy';

/**
 * The short-lived token's lifetime. The app refreshes once half of it is left (src/core/tokens.ts),
 * so the token refreshed by the burst of getters stays fresh for SHORT_TOKEN_TTL_S / 2 seconds: far
 * longer than the burst, or a late getter would rightly refresh again.
 */
export const SHORT_TOKEN_TTL_S = 8;

export const USER = { id: 'u-bench', username: 'alice', name: 'Alice', roles: ['user'] };
export const WHERE = { userId: USER.id, roomId: 'r-bench' };
/** One room per concurrent getter: a command's reply is told apart by user and room. */
export const BURST_SIZE = 100;
export const burstRoom = (i: number): string => `r-burst-${i}`;

export interface BenchWorld {
  harness: AppsEngineHarness;
  demo: TestAuthServer;
  short: TestAuthServer;
  /** In front of `demo`, for the app's calls only (the browser goes to `demo` directly). */
  demoProxy: TimingProxy;
  /** The app's redirect URI, registered at both providers. */
  completeUrl: string;
  /** When the user's `short` connection was made (Date.now()). */
  shortConnectedAt: number;
  stop(): Promise<void>;
}

export async function startBenchWorld(zips: BenchZips): Promise<BenchWorld> {
  const started: Array<{ stop(): Promise<unknown> }> = [];
  try {
    const harness = await AppsEngineHarness.start();
    started.push(harness);
    harness.addUser(USER);
    harness.addRoom({ id: WHERE.roomId, name: 'bench', members: [USER.id] });
    for (let i = 0; i < BURST_SIZE; i++) harness.addRoom({ id: burstRoom(i), name: burstRoom(i), members: [USER.id] });
    for (const zip of [zips.baseline, zips.builtin, zips.ours]) await harness.installZip(zip);

    const completeUrl = harness.publicUrl(BENCH_APP_IDS.ours, 'complete');
    const demo = await startDemoProvider(completeUrl, { accessTokenTTL: 3600 });
    started.push({ stop: () => demo.close() });
    const short = await startDemoProvider(completeUrl, { accessTokenTTL: SHORT_TOKEN_TTL_S });
    started.push({ stop: () => short.close() });
    const demoProxy = await TimingProxy.start(demo.issuer);
    started.push({ stop: () => demoProxy.close() });
    harness.routeOrigin(demo.issuer, demoProxy.url);

    const settings = { ...demoProviderSettings(demo), ...shortProviderSettings(short) };
    for (const [id, value] of Object.entries(settings)) await harness.setSetting(BENCH_APP_IDS.ours, id, value);

    await connect(harness, completeUrl, 'demo');
    await connect(harness, completeUrl, 'short');
    const shortConnectedAt = Date.now();
    storeBuiltinConnection(harness, BENCH_APP_IDS.builtin, SAMPLE_ALIAS, USER.id);

    return {
      harness,
      demo,
      short,
      demoProxy,
      completeUrl,
      shortConnectedAt,
      stop: () => stopAll(started),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** Slot 2 of the app as the `short` provider (slot 1 is `demo`: test/support/demo-oidc.ts). */
function shortProviderSettings(provider: TestAuthServer): Record<string, unknown> {
  return {
    provider2_enabled: true,
    provider2_preset: 'oidc',
    provider2_id: 'short',
    provider2_client_id: DEMO_CLIENT.clientId,
    provider2_client_secret: DEMO_CLIENT.clientSecret,
    provider2_site: provider.issuer,
  };
}

/** The user connects the app to `providerId` through its Connect button, as a browser does. */
async function connect(harness: AppsEngineHarness, completeUrl: string, providerId: string): Promise<void> {
  const browser = new AppBrowser();
  const atProvider = await browser.startConnect(await connectLinkFor(harness, WHERE, providerId));
  const callback = await authorizeAs(atProvider, { account: USER.username, redirectUriPrefix: completeUrl });
  const notice = watchNotice(harness, USER.id);
  const page = await browser.fetch(callback);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('Connected')) throw new Error(`connecting to ${providerId} ended with ${page.status}: ${html.slice(0, 200)}`);
  // The notice follows the page; the next measurement must not meet it.
  await notice.arrived();
  harness.clearMessages();
}

/** Runs a bench command as the user and answers the one JSON object it replied with. */
export async function benchCommand(harness: AppsEngineHarness, command: string, args: string[], roomId = WHERE.roomId): Promise<Record<string, unknown>> {
  const { replies } = await harness.runCommandForReplies({ command, args, userId: USER.id, roomId });
  if (replies.length !== 1) throw new Error(`/${command} ${args.join(' ')}: ${replies.length} replies, expected one`);
  const text = replies[0].text ?? '';
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`/${command} ${args.join(' ')} answered something else than figures: ${text.slice(0, 200)}`);
  }
}

async function stopAll(started: Array<{ stop(): Promise<unknown> }>): Promise<void> {
  for (const item of started.reverse()) await item.stop().catch(() => undefined);
}
