/**
 * The packaged app on a stand-in for a Rocket.Chat cluster (tools/harness/cluster.ts): instance A in
 * the jest process, B (C, …) each a harness in a child process, all persisting to one shared store,
 * with the same users, rooms and settings on every instance; `/oauth …` typed on one instance and
 * answered by its one reply; a user connecting through a browser. The helpers a test of many
 * concurrent commands on several instances needs (see test/runtime/two-hosts.test.ts).
 */
import { HarnessCluster, type ClusterOptions, type HarnessHost } from '../../tools/harness';
import type { RoomFixture, UserFixture } from '../../tools/harness/world';
import { AppBrowser } from './app-browser';
import { APP_ID, packagedZip } from './app-package';
import { replyOf, type OAuthReply } from './packaged-app';
import { authorizeAs } from './user-agent';

export interface PackagedClusterSetup extends Omit<ClusterOptions, 'store'> {
  users: UserFixture[];
  rooms: RoomFixture[];
  /**
   * Runs once the app is installed on every instance, with the cluster's redirect URI (under its one
   * Site_Url): starts the provider, routes origins (cluster.routeOrigin), and answers the settings to
   * save, by id, in order, on every instance.
   */
  configure?: (cluster: HarnessCluster, completeUrl: string) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Starts the cluster and installs the app's zip on every instance; stops everything again if any step fails. */
export async function startPackagedCluster(setup: PackagedClusterSetup): Promise<HarnessCluster> {
  const { users, rooms, configure, ...options } = setup;
  const cluster = await HarnessCluster.start(options);
  try {
    for (const user of users) await cluster.addUser(user);
    for (const room of rooms) await cluster.addRoom(room);
    await cluster.installZip(packagedZip());
    const settings = (await configure?.(cluster, cluster.publicUrl(APP_ID, 'complete'))) ?? {};
    for (const [id, value] of Object.entries(settings)) await cluster.setSetting(APP_ID, id, value);
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}

export interface HostReply extends OAuthReply {
  /** How long the command took on its instance, in milliseconds. */
  durationMs: number;
}

/**
 * Runs `/oauth …` as `userId` in `roomId` on one instance; answers the one reply that user got there.
 * Many may run at once, on any instances: give each concurrent caller of one user its own room.
 */
export async function oauthOn(host: HarnessHost, where: { userId: string; roomId: string }, ...args: string[]): Promise<HostReply> {
  const { replies, overlapped, durationMs } = await host.runCommand({ command: 'oauth', args, ...where });
  const what = `/oauth ${args.join(' ')} on instance ${host.name}`;
  if (overlapped) throw new Error(`${what}: another command of ${where.userId} in ${where.roomId} ran at the same time; use a room per concurrent caller`);
  if (replies.length !== 1) throw new Error(`${what}: ${replies.length} replies, expected one`);
  return { ...replyOf(replies[0]), durationMs };
}

export interface BrowserConnect {
  /** The user's own browser (it keeps the flow cookie). */
  browser: AppBrowser;
  /** The provider account to sign in as. */
  account: string;
  /** The redirect URI, or a prefix of it: the provider flow stops at a redirect there. */
  completeUrl: string;
  decision?: 'approve' | 'deny';
  /** Open the Connect link at this instance's own port (a load balancer may send the browser anywhere); default: as it is. */
  openAt?: HarnessHost;
  /** The instance whose endpoint the redirect URI names (it sends the notice); default the one the command ran on. */
  callbackAt?: HarnessHost;
}

/**
 * `/oauth connect` on `host`, then the Connect button followed in the browser: the confirmation page,
 * its button, the provider's sign-in, back to the complete endpoint. Answers the page it shows.
 */
export async function connectThroughBrowser(
  host: HarnessHost,
  where: { userId: string; roomId: string },
  how: BrowserConnect,
): Promise<{ status: number; html: string; callback: URL }> {
  const reply = await oauthOn(host, where, 'connect');
  const button = reply.buttons.find((b) => b.actionId === 'oauth-connect');
  if (!button) throw new Error(`/oauth connect on ${host.name} answered without a Connect button: ${reply.text.slice(0, 300)}`);
  const link = new URL(button.url);
  const opened = how.openAt ? new URL(`${link.pathname}${link.search}`, how.openAt.baseUrl) : link;
  const providerUrl = await how.browser.startConnect(opened.href);
  const callback = await authorizeAs(providerUrl, { account: how.account, decision: how.decision ?? 'approve', redirectUriPrefix: how.completeUrl });
  // The notice follows the page (the account name is read from the provider after it): wait for it,
  // so that it lands in no later command's messages.
  const notifier = how.callbackAt ?? host;
  const before = new Set((await notifier.messages()).map((m) => m.id));
  const page = await how.browser.fetch(callback);
  const html = await page.text();
  const noticed = async () => (await notifier.messages()).some((m) => m.toUserId === where.userId && !before.has(m.id));
  const deadline = Date.now() + 10_000;
  while (!(await noticed())) {
    if (Date.now() > deadline) throw new Error(`no notice to ${where.userId} on ${notifier.name} after the callback`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { status: page.status, html, callback };
}
