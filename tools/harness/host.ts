// HarnessHost: one simulated Rocket.Chat server instance, whether its engine runs in this process (an
// AppsEngineHarness, through inProcessHost()) or in a child process (child-host.ts). Every method is
// asynchronous, so a test drives both kinds the same way; a cluster (cluster.ts) is a list of them
// sharing one SharedPersistence.

import type { AppsEngineHarness, CommandInput, CommandResult } from './harness';
import type { LogRecord } from './logs';
import type { RoomFixture, SentMessage, UserFixture } from './world';

export interface HarnessHost {
  /** A short name for messages and operation counts, e.g. 'A', 'B'. */
  readonly name: string;
  /** The Node process whose engine this is (process.pid for the in-process host). */
  readonly pid: number;
  /** HTTP base URL of this host's own endpoint server, http://127.0.0.1:<port>. */
  readonly baseUrl: string;
  /** This host's own URL of an app's public endpoint (not Site_Url: a cluster's Site_Url names one address for all). */
  publicUrl(appId: string, path: string): string;

  addUser(user: UserFixture): Promise<void>;
  addRoom(room: RoomFixture): Promise<void>;
  installZip(zipPath: string): Promise<{ appId: string }>;
  /**
   * Changes an app setting as an administrator does on this instance: the app's onSettingUpdated runs
   * here, and in a cluster the change is relayed to the other instances (HarnessCluster.settled() waits for them).
   */
  setSetting(appId: string, settingId: string, value: unknown): Promise<void>;
  getSetting(appId: string, settingId: string): Promise<unknown>;
  /** Resolves once no setting update is in flight here (see AppsEngineHarness.settingsSettled). */
  settingsSettled(): Promise<void>;
  /** See AppsEngineHarness.routeOrigin. */
  routeOrigin(origin: string, target?: string): Promise<void>;
  /** Runs a slash command and answers the app's replies to the user who typed it (AppsEngineHarness.runCommandForReplies). */
  runCommand(input: CommandInput): Promise<CommandResult>;
  messages(): Promise<SentMessage[]>;
  clearMessages(): Promise<void>;
  appLogs(appId?: string): Promise<LogRecord[]>;
  runtimeLogs(appId?: string): Promise<LogRecord[]>;
  appErrors(appId?: string): Promise<string[]>;
  appStatus(appId: string): Promise<string | undefined>;
  denoProcessId(appId: string): Promise<number | undefined>;
  waitForRuntimeReady(appId: string, options?: { replacing?: number; timeoutMs?: number }): Promise<number>;
  permissionChecksLive(): Promise<boolean>;
  /** Stops the engine (every Deno subprocess) and, for a child host, its process; nothing is left running. */
  stop(): Promise<void>;
}

/** A harness running in this process, as a HarnessHost. */
export function inProcessHost(harness: AppsEngineHarness, name = 'A'): HarnessHost {
  return {
    name,
    pid: process.pid,
    baseUrl: harness.baseUrl,
    publicUrl: (appId, path) => harness.publicUrl(appId, path),
    addUser: async (user) => harness.addUser(user),
    addRoom: async (room) => harness.addRoom(room),
    installZip: (zipPath) => harness.installZip(zipPath),
    setSetting: (appId, settingId, value) => harness.setSetting(appId, settingId, value),
    getSetting: (appId, settingId) => harness.getSetting(appId, settingId),
    settingsSettled: () => harness.settingsSettled(),
    routeOrigin: async (origin, target) => harness.routeOrigin(origin, target),
    runCommand: (input) => harness.runCommandForReplies(input),
    messages: async () => harness.messages(),
    clearMessages: async () => harness.clearMessages(),
    appLogs: async (appId) => harness.appLogs(appId),
    runtimeLogs: async (appId) => harness.runtimeLogs(appId),
    appErrors: async (appId) => harness.appErrors(appId),
    appStatus: (appId) => harness.appStatus(appId),
    denoProcessId: async (appId) => harness.denoProcessId(appId),
    waitForRuntimeReady: (appId, options) => harness.waitForRuntimeReady(appId, options),
    permissionChecksLive: async () => harness.permissionChecksLive(),
    stop: () => harness.stop(),
  };
}
