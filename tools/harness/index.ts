// Hosts the real Rocket.Chat Apps-Engine server runtime (1.62.0, apps in Deno subprocesses) in this
// Node process without a Rocket.Chat server. See harness.ts; the Deno runtime is prepared by
// tools/harness/setup-deno-runtime.mjs (`npm run setup:runtime`, run by postinstall).

export { AppsEngineHarness, type CommandInput, type HarnessOptions, type HarnessStorage } from './harness';
export { HARNESS_NODE_ENV } from './engine';
export type { LogLine, LogRecord } from './logs';
export type { Association, RoomFixture, SentMessage, StoredRecord, UserFixture } from './world';
