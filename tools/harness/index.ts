// Hosts the real Rocket.Chat Apps-Engine server runtime (1.62.0, apps in Deno subprocesses) in this
// Node process without a Rocket.Chat server. See harness.ts; the Deno runtime is prepared by
// tools/harness/setup-deno-runtime.mjs (`npm run setup:runtime`, run by postinstall).
// Several instances sharing one database, as a Rocket.Chat cluster: cluster.ts (SharedPersistence,
// a host in a child process per extra instance).

export { AppsEngineHarness, type CommandInput, type CommandResult, type HarnessOptions, type HarnessStorage } from './harness';
export { HARNESS_NODE_ENV } from './engine';
export { HarnessCluster, type ClusterOptions } from './cluster';
export { startChildHost, type ChildHostOptions } from './child-host';
export { inProcessHost, type HarnessHost } from './host';
export { SharedPersistence, type SharedPersistenceOptions, type SharedStoreLink } from './shared-persistence';
export type { PersistenceOp } from './persistence-table';
export type { LogLine, LogRecord } from './logs';
export type { Association, RoomFixture, SentMessage, StoredRecord, UserFixture } from './world';
