// AppsEngineHarness: the real Apps-Engine server runtime (@rocket.chat/apps-engine 1.62.0, each app in
// its own Deno subprocess) hosted in this Node process, with in-memory bridges in place of a
// Rocket.Chat server and a real HTTP server for the apps' endpoints. Used by the tests and by the
// local `npm start`.

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { ISetting, SettingType } from '@rocket.chat/apps-engine/definition/settings';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';
import type { AppManager } from '@rocket.chat/apps-engine/server/AppManager';

import { startApiServer, stopApiServer } from './api-server';
import { createBridges, signingKeyPair, type BridgeTables } from './bridges';
import { locateDenoRuntime, pathWithDeno } from './deno-runtime';
import { keepPermissionChecksOn, loadEngine, type Engine } from './engine';
import { FileStore } from './file-store';
import { LogBook, type LogRecord } from './logs';
import { PersistenceTable, type PersistenceBackend } from './persistence-table';
import { RoundTrips } from './round-trips';
import { RuntimeWatch } from './runtimes';
import { SettingRelay, SettingUpdates } from './setting-relay';
import type { SharedStoreLink } from './shared-persistence';
import { createStorages } from './storage';
import { World, type Association, type RoomFixture, type SentMessage, type StoredRecord, type UserFixture } from './world';

export interface HarnessOptions {
  /** Server setting Site_Url; default: the harness's own HTTP base URL. */
  siteUrl?: string;
  /** Server setting Language; default 'en'. */
  language?: string;
  /** Port of the HTTP server for the apps' endpoints, on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** Called with every log entry the engine stores, classified app / runtime (for a terminal). */
  onAppLog?: (record: LogRecord) => void;
  /** Where the apps' persistence records and setting values live; default: in memory only. */
  storage?: HarnessStorage;
  /**
   * A store shared with other harnesses, as Rocket.Chat instances of one cluster share their database
   * (shared-persistence.ts): the apps' records go there, and so do the setting values this harness
   * stores; installZip() starts the app with the values the store already holds, as an instance loads
   * an installed app from the database, and setting changes are relayed between the instances as
   * Rocket.Chat relays them (setting-relay.ts). Not with `storage`.
   */
  sharedStore?: SharedStoreLink;
}

/**
 * Keeps the apps' persistence records and their setting values in `file` (see file-store.ts for what
 * it holds) across restarts of the Node process: start() loads it (and throws when it is damaged),
 * installZip() applies the app's stored setting values, every change is written back, stop() flushes.
 * Its folder is created 0700 and the file is written 0600: it holds the apps' tokens and secrets.
 */
export interface HarnessStorage {
  file: string;
}

export interface CommandInput {
  /** With or without the leading slash. */
  command: string;
  args: string[];
  userId: string;
  roomId: string;
  /** When given, the command must belong to this app. */
  appId?: string;
  threadId?: string;
}

/** A command run by runCommandForReplies(). */
export interface CommandResult {
  /**
   * The ephemeral messages the apps sent to the user who typed the command, in its room, while it ran,
   * oldest first. Commands of different users, or in different rooms, never see each other's.
   */
  replies: SentMessage[];
  /** Another command of the same user in the same room ran at the same time: the replies of both may be in either result. */
  overlapped: boolean;
  /** From the command's start to the app's last answer, in milliseconds, measured where the engine runs. */
  durationMs: number;
}

/** The administrator who installs apps and changes their settings. */
const ADMIN: UserFixture = { id: 'harness-admin', username: 'harness.admin', name: 'Harness Admin', roles: ['admin', 'user'] };

/** AppManager is a process-wide singleton (server/AppManager.js throws on a second instance). */
let running: AppsEngineHarness | undefined;

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);

function waitForExit(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function startedRoundTrips(engine: Engine): RoundTrips {
  const roundTrips = new RoundTrips(engine);
  roundTrips.start();
  return roundTrips;
}

/** SettingType.PASSWORD; the engine's enums are loaded at start (engine.ts), so only its type here. */
const PASSWORD_SETTING: `${SettingType.PASSWORD}` = 'password';

export class AppsEngineHarness {
  private stopped = false;

  private constructor(
    private readonly engine: Engine,
    private readonly manager: AppManager,
    private readonly world: World,
    private readonly tables: BridgeTables,
    private readonly logBook: LogBook,
    private readonly runtimes: RuntimeWatch,
    private readonly server: Server,
    /** HTTP base URL of the apps' endpoints, http://127.0.0.1:<port>. */
    readonly baseUrl: string,
    private readonly tempDir: string,
    private readonly restoreEnv: () => void,
    private readonly store: FileStore | undefined,
    /** The harness's own records (unused with a shared store). */
    private readonly table: PersistenceTable,
    private readonly shared: SharedStoreLink | undefined,
    private readonly settingUpdates: SettingUpdates,
    private readonly relay: SettingRelay | undefined,
  ) {}

  /** The calls the apps' subprocesses make to the server (round-trips.ts), counted from the start. */
  private readonly roundTrips = startedRoundTrips(this.engine);

  /** Commands running per user and room, to flag replies that cannot be told apart (runCommandForReplies). */
  private readonly inFlight = new Map<string, Set<{ overlapped: boolean }>>();

  static async start(options: HarnessOptions = {}): Promise<AppsEngineHarness> {
    if (running) {
      throw new Error('An AppsEngineHarness is already running in this process (the Apps-Engine AppManager is a singleton): stop() it first.');
    }
    if (options.storage && options.sharedStore) {
      throw new Error('A harness keeps its records either in a storage file or in a shared store, not both.');
    }

    const denoRuntime = locateDenoRuntime();
    const previous = { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH };
    const restoreEnv = () => {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) {
          delete process.env[name];
        } else {
          process.env[name] = value;
        }
      }
    };
    keepPermissionChecksOn();
    process.env.PATH = pathWithDeno(denoRuntime);

    let tempDir: string | undefined;
    let server: Server | undefined;
    let engine: Engine | undefined;
    let manager: AppManager | undefined;
    try {
      engine = loadEngine();
      if (engine.AppManager.Instance) {
        throw new Error('An Apps-Engine AppManager already exists in this process; only one can run at a time.');
      }

      const world = new World();
      world.addUser(ADMIN);
      const store = options.storage ? await FileStore.open(options.storage.file, () => world.records) : undefined;
      if (store) {
        world.records.push(...store.loadedRecords);
        world.watchRecords(() => store.changed());
      }
      const runtimes = new RuntimeWatch();
      const logBook = new LogBook((record) => {
        runtimes.observe(record);
        options.onAppLog?.(record);
      });
      const shared = options.sharedStore;
      const saveSetting = shared
        ? (appId: string, setting: ISetting) => shared.saveSetting(appId, setting.id, setting.value)
        : store && ((appId: string, setting: ISetting) => store.setSetting(appId, setting.id, setting.value));
      const storages = createStorages(engine, (entry) => logBook.add(entry), saveSetting);
      const table = new PersistenceTable(
        world.records,
        () => world.recordsChanged(),
        () => world.newId(),
      );
      const persistence: PersistenceBackend = shared ? shared.persist : async (op, args) => table.apply(op, args);
      const relay = shared && new SettingRelay(shared);
      const { bridges, tables } = createBridges(engine, world, {
        persistence,
        onSettingsChange: relay && ((appId, setting) => relay.changed(appId, setting)),
      });
      await signingKeyPair(); // made once per process; the first install would wait for it anyway

      // The engine symlinks deno-runtime/ into this directory (deno refuses scripts under node_modules).
      tempDir = await mkdtemp(join(tmpdir(), 'apps-engine-harness-'));
      manager = new engine.AppManager({
        metadataStorage: storages.metadata,
        logStorage: storages.logs,
        sourceStorage: storages.source,
        bridges,
        tempFilePath: tempDir,
      });
      await manager.load(); // nothing stored yet; marks the manager loaded so unload() works
      runtimes.attach(manager);
      const settingUpdates = new SettingUpdates();
      settingUpdates.attach(manager);

      const apiManager = manager.getApiManager();
      const started = await startApiServer(tables.routes, (appId, path, request) => apiManager.executeApi(appId, path, request), options.port ?? 0);
      server = started.server;
      world.setServerSetting('Site_Url', options.siteUrl ?? started.baseUrl);
      world.setServerSetting('Language', options.language ?? 'en');

      running = new AppsEngineHarness(
        engine,
        manager,
        world,
        tables,
        logBook,
        runtimes,
        server,
        started.baseUrl,
        tempDir,
        restoreEnv,
        store,
        table,
        shared,
        settingUpdates,
        relay,
      );
      relay?.attach(manager); // last: a change relayed from another instance may arrive at once
      return running;
    } catch (error) {
      if (server) {
        await stopApiServer(server);
      }
      if (tempDir) {
        await rm(tempDir, { recursive: true, force: true });
      }
      if (engine && manager) {
        resetAppManagerSingleton(engine);
      }
      restoreEnv();
      throw error;
    }
  }

  /**
   * Installs and enables an app package; throws with the reason when it does not end up enabled.
   * Resolves once the settings the app wrote while it was enabled are stored (its setting updater does
   * not wait for them). With storage or a shared store, the app starts as a Rocket.Chat instance
   * loads an installed app from its database: the stored values are in place before its onEnable runs
   * (an app that generates a setting at its first enable, a key, must find the one it made before).
   */
  async installZip(zipPath: string): Promise<{ appId: string }> {
    const zip = await readFile(zipPath);
    const { info } = await this.manager.getParser().unpackageApp(zip);
    // The administrator grants what app.json asks for, as in Rocket.Chat's install dialog; an app
    // that asks for nothing gets the engine's default set (server/permissions/AppPermissions.js).
    let fulfillment: Awaited<ReturnType<AppManager['add']>>;
    try {
      const stored = Boolean(this.shared || this.store);
      fulfillment = await this.manager.add(zip, {
        enable: !stored,
        user: this.world.userById(ADMIN.id) as IUser,
        permissionsGranted: info.permissions,
      });
      // Added without enabling: initialized, so its settings are declared and can take the stored values.
      if (stored && (await this.manager.getOneById(info.id)?.getStatus()) === this.engine.AppStatus.INITIALIZED) {
        await this.loadStoredSettings(info.id);
        await this.manager.enable(info.id);
      }
    } catch (error) {
      // e.g. the app's code throws while the Deno runtime loads it ("Module zod is not allowed")
      throw new Error(`App "${info.name}" (${info.id}) could not be installed: ${messageOf(error)}${this.failureDetails(info.id)}`);
    }

    const app = this.manager.getOneById(info.id);
    const status = app ? await app.getStatus() : undefined;
    if (app && status !== undefined && this.engine.AppStatusUtils.isEnabled(status)) {
      this.runtimes.markSettled(info.id);
      await this.settingUpdates.settled();
      return { appId: info.id };
    }

    const reasons = [
      fulfillment.hasStorageError() ? `\nstorage: ${fulfillment.getStorageError()}` : '',
      fulfillment.hasAppUserError() ? `\napp user: ${JSON.stringify(fulfillment.getAppUserError())}` : '',
    ].join('');
    throw new Error(`App "${info.name}" (${info.id}) did not get enabled: status ${status ?? 'not installed'}.${reasons}${this.failureDetails(info.id)}`);
  }

  /**
   * With storage or a shared store: puts the values it holds for the app's declared settings in place, as
   * they are when an instance loads an installed app from the database (no onPreSettingUpdate, no
   * onSettingUpdated: the app reads them once enabled). Values of settings it does not declare stay unused.
   */
  private async loadStoredSettings(appId: string): Promise<void> {
    const item = this.manager.getOneById(appId)?.getStorageItem();
    if (!item) {
      return;
    }
    const values = this.shared ? await this.shared.settingsOf(appId) : (this.store?.settingsOf(appId) ?? new Map<string, unknown>());
    let loaded = false;
    for (const [settingId, value] of values) {
      const declared = item.settings[settingId];
      if (declared) {
        item.settings[settingId] = { ...declared, value };
        loaded = true;
      }
    }
    if (loaded) {
      await this.manager.getStorage().updatePartialAndReturnDocument({ _id: item._id, settings: item.settings });
    }
  }

  /**
   * Resolves once no app setting update is in flight on this instance: the engine's setting updater
   * does not wait for the updates an app starts, nor does a relayed change wait for the app.
   */
  settingsSettled(): Promise<void> {
    return this.settingUpdates.settled();
  }

  /** The app's error entries and the runtime's reports of failed calls, one per line. */
  private failureDetails(appId: string): string {
    const lines = [
      ...this.logBook.appErrors(appId),
      ...this.logBook
        .bySource('runtime', appId)
        .flatMap((record) =>
          record.entries
            .filter((line) => line.severity === 'error' || /unsuccessful/i.test(JSON.stringify(line.args)))
            .map((line) => `${record.method}: ${JSON.stringify(line.args)}`),
        ),
    ];
    return lines.map((line) => `\n${line}`).join('');
  }

  /** Changes an app setting as an administrator does in the UI; the app's onSettingUpdated runs. */
  async setSetting(appId: string, settingId: string, value: unknown): Promise<void> {
    const settings = this.manager.getSettingsManager();
    const current = settings.getAppSetting(appId, settingId);
    await settings.updateAppSetting(appId, { ...current, value });
  }

  /** The setting's value as the app reads it (its package value while unset). */
  async getSetting(appId: string, settingId: string): Promise<unknown> {
    const setting = this.manager.getSettingsManager().getAppSetting(appId, settingId);
    return setting.value === undefined || setting.value === null ? setting.packageValue : setting.value;
  }

  /** The ids of the settings the app declared. */
  settingIds(appId: string): string[] {
    return Object.keys(this.manager.getOneById(appId)?.getStorageItem().settings ?? {});
  }

  /**
   * The app's settings of type PASSWORD, as the engine holds its setting definitions (so a password
   * setting added later is included), with their current values; none for an app not installed.
   */
  passwordSettings(appId: string): Array<{ id: string; value: unknown }> {
    const declared = this.manager.getOneById(appId)?.getStorageItem().settings ?? {};
    return Object.values(declared)
      .filter((setting) => setting.type === PASSWORD_SETTING)
      .map((setting) => ({ id: setting.id, value: setting.value ?? setting.packageValue }));
  }

  /**
   * Sends the apps' outbound calls to `origin` (e.g. `https://github.com`) to `target` instead (e.g. a
   * provider emulator at `http://127.0.0.1:4321/github.com`), path and query kept. Without `target`
   * the route is removed.
   */
  routeOrigin(origin: string, target?: string): void {
    const key = new URL(origin).origin;
    if (target === undefined) {
      this.world.outboundRoutes.delete(key);
    } else {
      this.world.outboundRoutes.set(key, target);
    }
  }

  addUser(user: UserFixture): void {
    this.world.addUser(user);
  }

  addRoom(room: RoomFixture): void {
    this.world.addRoom(room);
  }

  /**
   * Runs a slash command as `userId` typing it in `roomId`; resolves once the app has finished.
   * Right after killing the app's subprocess, call waitForRuntimeReady(appId, { replacing: pid }) first:
   * until Node has noticed the exit, a command would be written to the dead process (30 s timeout).
   */
  async runCommand(input: CommandInput): Promise<void> {
    const name = input.command.replace(/^\//, '').toLowerCase().trim();
    const registered = this.tables.commands.get(name);
    if (!registered || !registered.enabled) {
      throw new Error(`/${name} is not an enabled slash command`);
    }
    if (input.appId && registered.appId !== input.appId) {
      throw new Error(`/${name} belongs to app ${registered.appId}, not ${input.appId}`);
    }
    const sender = this.world.userById(input.userId);
    const room = this.world.roomById(input.roomId);
    if (!sender || !room) {
      throw new Error(`Unknown ${sender ? 'room' : 'user'}: ${sender ? input.roomId : input.userId}`);
    }
    // A command sent while the engine restarts the app's subprocess would leave the app looking
    // disabled for 5 minutes (runtimes.ts): wait for a restart in progress to complete first.
    if (this.runtimes.isRestarting(registered.appId)) {
      await this.runtimes.waitUntilSettled(registered.appId);
    }
    // Rocket.Chat gives every command run a trigger id (used to open UI Kit modals).
    const context = new this.engine.SlashCommandContext(sender, room, [...input.args], input.threadId, randomUUID());
    try {
      await this.manager.getCommandManager().executeCommand(name, context);
    } catch (error) {
      throw new Error(`/${name} failed: ${messageOf(error)}`);
    }
  }

  /**
   * Runs a slash command as runCommand() does and answers what the app replied to the user who typed
   * it. Safe to run many at once (a load test): replies are matched by user and room, so give each
   * concurrent caller of one user its own room; `overlapped` says when that did not hold.
   */
  async runCommandForReplies(input: CommandInput): Promise<CommandResult> {
    const key = `${input.userId}\u0000${input.roomId}`;
    const self = { overlapped: false };
    const alongside = this.inFlight.get(key) ?? new Set<{ overlapped: boolean }>();
    for (const other of alongside) {
      other.overlapped = self.overlapped = true;
    }
    alongside.add(self);
    this.inFlight.set(key, alongside);
    const replies: SentMessage[] = [];
    const unwatch = this.world.watchMessages((message) => {
      if (message.kind === 'ephemeral' && message.toUserId === input.userId && message.roomId === input.roomId) {
        replies.push(message);
      }
    });
    const start = performance.now();
    try {
      await this.runCommand(input);
      return { replies, overlapped: self.overlapped, durationMs: performance.now() - start };
    } finally {
      unwatch();
      alongside.delete(self);
      if (alongside.size === 0) {
        this.inFlight.delete(key);
      }
    }
  }

  /** What the apps sent: room messages and ephemeral notifications, oldest first. */
  messages(): SentMessage[] {
    return [...this.world.messages];
  }

  clearMessages(): void {
    this.world.messages.splice(0);
  }

  /** The apps' persistence records (with a shared store, every host's: they are the same records). */
  stored(): StoredRecord[] {
    if (this.shared) {
      return this.sharedHere('stored()').stored();
    }
    return this.table.snapshot();
  }

  /** The shared store, when it lives in this process; a host in a child process reads it through its parent. */
  private sharedHere(what: string) {
    const local = this.shared?.local;
    if (!local) {
      throw new Error(`${what}: this harness's records are in a shared store in another process; read them there.`);
    }
    return local;
  }

  /**
   * Stores a record for an app as its persistence would (one written by an earlier version of the
   * app, say), replacing the app's records with exactly these associations, as the engine's
   * `updateByAssociations` with upsert does; `associations` as `{ model, id }`.
   */
  seedRecord(appId: string, associations: Association[], data: object): void {
    if (this.shared) {
      this.sharedHere('seedRecord()').seedRecord(appId, associations, data);
    } else {
      this.table.seed(appId, associations, data);
    }
  }

  /**
   * The accessor and bridge calls an app's subprocess made since the last `resetRoundTrips()`: each is
   * one IPC round trip to the server. In all and by method.
   */
  roundTripsOf(appId: string): { total: number; byMethod: Record<string, number> } {
    return this.roundTrips.of(appId);
  }

  /** The calls an app made (since the last reset) before its last answer to a request (RoundTrips.beforeLastAnswer). */
  roundTripsBeforeAnswer(appId: string): number | undefined {
    return this.roundTrips.beforeLastAnswer(appId);
  }

  resetRoundTrips(): void {
    this.roundTrips.reset();
  }

  /** Log entries the app itself wrote (the runtime's entries about each request left out). */
  appLogs(appId?: string): LogRecord[] {
    return this.logBook.bySource('app', appId);
  }

  /** The runtime's own entries about each request (they include request data: keep them out of assertions on secrets). */
  runtimeLogs(appId?: string): LogRecord[] {
    return this.logBook.bySource('runtime', appId);
  }

  /** Error entries the app itself logged, one line each; a test should fail on any. */
  appErrors(appId?: string): string[] {
    return this.logBook.appErrors(appId);
  }

  publicUrl(appId: string, path: string): string {
    return `${this.baseUrl}/api/apps/public/${appId}/${path.replace(/^\/+/, '')}`;
  }

  async appStatus(appId: string): Promise<string | undefined> {
    return this.manager.getOneById(appId)?.getStatus();
  }

  /** PID of the app's Deno subprocess (to kill it in a test: the engine restarts it). */
  denoProcessId(appId: string): number | undefined {
    return this.runtimes.pid(appId);
  }

  /**
   * Resolves with the PID of the app's Deno subprocess once it is settled — after a kill or a crash,
   * pass the old PID as `replacing` to wait for the engine's restart to complete. Asks the app nothing
   * while it waits (see runtimes.ts on why a request during a restart disables the app for 5 minutes).
   */
  waitForRuntimeReady(appId: string, options: { replacing?: number; timeoutMs?: number } = {}): Promise<number> {
    return this.runtimes.waitUntilSettled(appId, options);
  }

  /** True while the engine enforces app permissions (NODE_ENV is not 'test'): asks it about an app that has none. */
  permissionChecksLive(): boolean {
    const { AppPermissionManager, AppPermissions } = this.engine;
    return process.env.NODE_ENV !== 'test' && AppPermissionManager.hasPermission('harness-permission-probe', AppPermissions.persistence.default) === undefined;
  }

  /**
   * Unloads the engine (kills every Deno subprocess), closes the HTTP server and, with storage, writes
   * the pending changes to the file before it resolves; nothing is left running.
   */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    this.roundTrips.stop();
    this.relay?.detach();
    try {
      const appIds = (await this.manager.get()).map((app) => app.getID());
      // Never unload in the middle of a restart: the engine would retry it forever (runtimes.ts).
      const restarting = appIds.filter((appId) => this.runtimes.isRestarting(appId));
      await Promise.all(restarting.map((appId) => this.runtimes.waitUntilSettled(appId).catch(() => undefined)));
      const children = this.runtimes.children(appIds);
      // unload(true) disables each app and calls stopApp() without awaiting it: wait for the exits here.
      await this.manager.unload(true);
      await Promise.all(children.map((child) => waitForExit(child)));
    } finally {
      resetAppManagerSingleton(this.engine);
      await stopApiServer(this.server);
      await rm(this.tempDir, { recursive: true, force: true });
      this.restoreEnv();
      try {
        // Last, so the harness is fully stopped even when the final write fails (that error is thrown);
        // before `running` clears, so a next harness never reads the file while it is being written.
        await this.store?.flush();
      } finally {
        running = undefined;
      }
    }
  }
}

/** Lets a later harness create its own AppManager (server/AppManager.js keeps the last one in `Instance`). */
function resetAppManagerSingleton(engine: Engine): void {
  (engine.AppManager as { Instance?: unknown }).Instance = undefined;
}
