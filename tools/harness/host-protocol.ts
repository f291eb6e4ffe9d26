// The messages between a test process and a child host (child-host.ts, host-process.ts), over Node's
// IPC channel with `serialization: 'advanced'` (structured clone: Dates, undefined and nested objects
// arrive as they were sent). The parent asks the host to act (`call`); the host's persistence bridge
// asks the parent's SharedPersistence (`store`): one message per operation, each applied whole there.
// Setting changes go both ways: the host publishes its own (`store`, publishSetting), the parent
// relays the other instances' (`relay`).

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';

import type { HarnessHost } from './host';
import type { PersistenceOp } from './persistence-table';

/** The HarnessHost methods a child host answers (its fixed properties are known to the parent). */
export type HostMethod = Exclude<keyof HarnessHost, 'name' | 'pid' | 'baseUrl' | 'publicUrl'>;

export interface ChildHostStartOptions {
  name: string;
  siteUrl?: string;
  language?: string;
  port?: number;
}

export type StoreRequest =
  | { kind: 'persist'; op: PersistenceOp; args: unknown[] }
  | { kind: 'settingsOf'; appId: string }
  | { kind: 'saveSetting'; appId: string; settingId: string; value: unknown }
  | { kind: 'publishSetting'; appId: string; setting: ISetting };

export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
export type Answer = { id: number } & Outcome;

export type ToChild =
  | { type: 'start'; options: ChildHostStartOptions }
  | { type: 'call'; id: number; method: HostMethod; args: unknown[] }
  /** A setting change another instance made, to apply here (answered like a call). */
  | { type: 'relay'; id: number; appId: string; setting: ISetting }
  | ({ type: 'store-answer' } & Answer);

export type FromChild =
  | { type: 'ready'; baseUrl: string }
  | { type: 'start-failed'; error: string }
  | ({ type: 'answer' } & Answer)
  | { type: 'store'; id: number; request: StoreRequest };

/** An error's message, for an answer (the stack, for a host that could not start). */
export const errorText = (error: unknown, withStack = false): string =>
  error instanceof Error ? ((withStack ? error.stack : undefined) ?? error.message) : String(error);

/**
 * What crosses the channel: structured-clonable values as they are; anything else (an object holding a
 * function, say the engine's raw message objects) as its JSON form, as a database would keep it.
 */
export function cloneable<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
  }
}
