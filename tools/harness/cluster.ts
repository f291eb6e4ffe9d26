// HarnessCluster: a stand-in for a Rocket.Chat cluster. The first instance is an AppsEngineHarness in
// this process, every other one a harness in a child process (child-host.ts); all of them persist to
// one SharedPersistence in this process, as Rocket.Chat instances share one MongoDB. Each instance
// has its own engine, its own Deno subprocess per app, its own endpoint server on its own port, and
// its own users, rooms and messages (the cluster adds the same ones to all).
//
// Settings: in Rocket.Chat an app's setting values are in the shared database, and a change made on
// one instance, by an administrator or by the app itself, is broadcast to the others, where the engine
// applies it (the app's onPreSettingUpdate and onSettingUpdated run on each). The harnesses do the same
// through the shared store (setting-relay.ts): a change made on any host reaches the others without
// anyone waiting; settled() waits until every instance has applied every change. installZip()
// installs on the first instance, then on the others, each of which starts the app with the values
// the first one stored (a key the app generated at its first enable, say), as an instance loads an
// installed app from the database.
//
// Site_Url: one address for the whole cluster, as behind a load balancer (by default the first
// instance's own base URL), so redirect URIs and Connect links are the same whichever instance
// built them, and a browser can be sent to any instance's own port (host.publicUrl()).

import { AppsEngineHarness, type HarnessOptions } from './harness';
import { inProcessHost, type HarnessHost } from './host';
import { startChildHost } from './child-host';
import { SharedPersistence } from './shared-persistence';
import type { RoomFixture, StoredRecord, UserFixture } from './world';

export interface ClusterOptions {
  /** How many instances: the first runs in this process, the others in child processes. Default 2. */
  instances?: number;
  /** The shared database; default a new one. */
  store?: SharedPersistence;
  /** Site_Url of every instance; default the first instance's own base URL. */
  siteUrl?: string;
  /** Server setting Language of every instance; default 'en'. */
  language?: string;
  /** The in-process instance's log entries as they are stored (see HarnessOptions.onAppLog). */
  onAppLog?: HarnessOptions['onAppLog'];
  /** What child instances write to stdout and stderr, with their name (default: kept for error messages). */
  onChildOutput?: (name: string, text: string) => void;
}

const NAMES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class HarnessCluster {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly store: SharedPersistence,
    /** Instance A (in this process) first, then B, C, … (child processes). */
    readonly hosts: HarnessHost[],
    /** Instance A's harness itself, for what only an in-process harness offers (e.g. seedRecord, passwordSettings). */
    readonly harness: AppsEngineHarness,
    /** The Site_Url every instance has. */
    readonly siteUrl: string,
  ) {}

  /** An app's public endpoint under Site_Url, the address browsers and providers use (redirect URIs). */
  publicUrl(appId: string, path: string): string {
    return `${this.siteUrl.replace(/\/+$/, '')}/api/apps/public/${appId}/${path.replace(/^\/+/, '')}`;
  }

  static async start(options: ClusterOptions = {}): Promise<HarnessCluster> {
    const count = options.instances ?? 2;
    if (!Number.isInteger(count) || count < 1 || count > NAMES.length) {
      throw new Error(`A cluster has 1 to ${NAMES.length} instances, not ${count}`);
    }
    const store = options.store ?? new SharedPersistence();
    const harness = await AppsEngineHarness.start({
      sharedStore: store.link(NAMES[0]),
      siteUrl: options.siteUrl,
      language: options.language,
      onAppLog: options.onAppLog,
    });
    const hosts: HarnessHost[] = [inProcessHost(harness, NAMES[0])];
    const siteUrl = options.siteUrl ?? harness.baseUrl;
    const children = await Promise.allSettled(
      Array.from({ length: count - 1 }, (_, index) =>
        startChildHost({
          sharedStore: store,
          name: NAMES[index + 1],
          siteUrl,
          language: options.language,
          onOutput: options.onChildOutput && ((text) => options.onChildOutput?.(NAMES[index + 1], text)),
        }),
      ),
    );
    hosts.push(...children.flatMap((child) => (child.status === 'fulfilled' ? [child.value] : [])));
    const failed = children.find((child): child is PromiseRejectedResult => child.status === 'rejected');
    if (failed) {
      await Promise.allSettled(hosts.map((host) => host.stop()));
      throw failed.reason;
    }
    return new HarnessCluster(store, hosts, harness, siteUrl);
  }

  /** The instance by name ('A', 'B', …). */
  host(name: string): HarnessHost {
    const host = this.hosts.find((candidate) => candidate.name === name);
    if (!host) {
      throw new Error(`No instance ${name} in this cluster (${this.hosts.map((h) => h.name).join(', ')})`);
    }
    return host;
  }

  /** Adds the user on every instance (same id everywhere). */
  async addUser(user: UserFixture): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.addUser(user)));
  }

  /** Adds the room on every instance (same id everywhere). */
  async addRoom(room: RoomFixture): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.addRoom(room)));
  }

  /**
   * Installs and enables the package on the first instance, then, once the settings the app wrote at
   * its first enable are stored, on the others: they start it with those values, as each Rocket.Chat
   * instance loads an installed app from the database.
   */
  async installZip(zipPath: string): Promise<{ appId: string }> {
    const [first, ...others] = this.hosts;
    const installed = await first.installZip(zipPath);
    await this.settled();
    await Promise.all(others.map((host) => host.installZip(zipPath)));
    await this.settled();
    return installed;
  }

  /**
   * An administrator's change, made on one instance (default the first) and relayed to the others as
   * Rocket.Chat relays it; resolves once every instance's app has it (each one's onSettingUpdated ran).
   */
  async setSetting(appId: string, settingId: string, value: unknown, on: HarnessHost = this.hosts[0]): Promise<void> {
    await on.setSetting(appId, settingId, value);
    await this.settled();
  }

  /**
   * Resolves once no setting change is on its way anywhere: none in flight on any instance, none
   * being relayed (a relayed change may make an app write another setting: waits for those too).
   */
  async settled(): Promise<void> {
    for (let round = 0; round < 50; round += 1) {
      await Promise.all(this.hosts.map((host) => host.settingsSettled()));
      if (!this.store.relaying()) {
        return;
      }
      await this.store.relaysSettled();
    }
    throw new Error('The instances kept relaying setting changes to each other (50 rounds): an app that rewrites a setting whenever it changes?');
  }

  /** Routes an origin on every instance (see AppsEngineHarness.routeOrigin). */
  async routeOrigin(origin: string, target?: string): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.routeOrigin(origin, target)));
  }

  /** The shared records, as every instance sees them. */
  stored(): StoredRecord[] {
    return this.store.stored();
  }

  /** Error entries the app logged on any instance, each prefixed with the instance's name. */
  async appErrors(appId?: string): Promise<string[]> {
    const perHost = await Promise.all(this.hosts.map(async (host) => (await host.appErrors(appId)).map((line) => `${host.name}: ${line}`)));
    return perHost.flat();
  }

  /** Stops every instance, child processes and Deno subprocesses included; resolves once all have exited. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const results = await Promise.allSettled(this.hosts.map((host) => host.stop()));
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failures.length > 0) {
        throw failures[0].reason;
      }
    })();
    return this.stopping;
  }
}
