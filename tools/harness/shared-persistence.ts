// SharedPersistence: the one database of a simulated Rocket.Chat cluster. In a cluster every server
// instance runs its own Apps-Engine (and its own Deno subprocess per app) and they all share one
// MongoDB: an app's records written through one instance are read through another, and app setting
// values are in that database too. Here the store lives in one Node process (the test's); harnesses
// reach it in that process (AppsEngineHarness.start({ sharedStore })) or from a child process over its
// IPC channel (child-host.ts), each through its own link, so the operations each host performs are
// counted apart.
//
// What it guarantees, and what it deliberately does not:
// - Rocket.Chat's semantics, by construction: every operation runs in persistence-table.ts, the code a
//   single harness uses for its own records.
// - Each operation is atomic, like one MongoDB operation: it runs synchronously in this process, so
//   no other operation, from any host, sees it half done.
// - Nothing more: no compare-and-set, no transaction, no ordering between hosts beyond the order in
//   which operations arrive. A read-modify-write over two operations can interleave with another
//   host's, exactly as on Rocket.Chat (the engine offers no conditional write). MongoDB can even insert
//   two records for two concurrent upserts of the same associations (apps_persistence has no unique
//   index); here an upsert is atomic, so that rarer race is not reproduced.
// - Optional latency (`latencyMs`): a delay before and after each operation, as a round trip to the
//   database costs, to widen the windows in which two hosts' operations interleave.
//
// App settings: their values are in the database too, so an instance that loads the app starts with
// them (settingsOf). And a change made on one instance, by an administrator or by the app itself
// (its setting updater), reaches the app on every other one: Rocket.Chat broadcasts it
// (`apps.settingUpdated`) and each instance's listener runs the engine's updateAppSetting, so the
// app's onPreSettingUpdate and onSettingUpdated run there too. The store relays it the same way
// (publishSetting -> every other subscriber), without waiting for them, as the broadcast does not;
// relaysSettled() waits for the deliveries.

import { randomUUID } from 'node:crypto';

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';

import { PersistenceTable, type PersistenceArgs, type PersistenceBackend, type PersistenceOp, type PersistenceResult } from './persistence-table';
import type { Association, StoredRecord } from './world';

/** A harness's way to a shared store: in this process, or over a channel from a child process. */
export interface SharedStoreLink {
  /** Runs one persistence operation at the store. */
  persist: PersistenceBackend;
  /** The setting values the store holds for an app (an instance reads them from the database once the app is installed). */
  settingsOf(appId: string): Promise<Array<[string, unknown]>>;
  /** Stores a setting's new value (undefined: unset), as Rocket.Chat writes it to the database. */
  saveSetting(appId: string, settingId: string, value: unknown): Promise<void>;
  /** Hands a setting change made on this instance to the others (Rocket.Chat's broadcast); does not wait for them. */
  publishSetting(appId: string, setting: ISetting): void;
  /** Receives the setting changes the other instances publish, until the returned function is called. */
  subscribeSettings(apply: SettingListener): () => void;
  /** The store itself, when it lives in this process (stored() and seedRecord() read and write it directly). */
  readonly local?: SharedPersistence;
}

/** Applies a setting change another instance made (the engine's updateAppSetting, on this instance). */
export type SettingListener = (appId: string, setting: ISetting) => Promise<void>;

export interface SharedPersistenceOptions {
  /**
   * Milliseconds to wait before and after each operation (a number, or a function drawn each time,
   * e.g. `() => Math.random() * 2`): the database round trip. Default 0: no timer at all.
   */
  latencyMs?: number | (() => number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharedPersistence implements SharedStoreLink {
  private readonly records: StoredRecord[] = [];
  private readonly table = new PersistenceTable(this.records, () => undefined, randomUUID);
  private readonly settings = new Map<string, Map<string, unknown>>();
  private readonly counts = new Map<string, Map<PersistenceOp, number>>();
  private readonly latency: () => number;
  private readonly subscribers = new Map<string, SettingListener>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly failedRelays: string[] = [];

  /** This store, for a harness in this process (its operations count as host 'in-process'). */
  readonly persist: PersistenceBackend;
  readonly publishSetting: SharedStoreLink['publishSetting'];
  readonly subscribeSettings: SharedStoreLink['subscribeSettings'];
  readonly local = this;

  constructor(options: SharedPersistenceOptions = {}) {
    const { latencyMs } = options;
    this.latency = typeof latencyMs === 'function' ? latencyMs : () => latencyMs ?? 0;
    this.persist = (op, args) => this.apply('in-process', op, args);
    this.publishSetting = (appId, setting) => this.publish('in-process', appId, setting);
    this.subscribeSettings = (apply) => this.subscribe('in-process', apply);
  }

  /** A link for one host: its operations are counted under `host` (see operationCounts()), its setting changes relayed to the others. */
  link(host: string): SharedStoreLink {
    return {
      persist: (op, args) => this.apply(host, op, args),
      settingsOf: (appId) => this.settingsOf(appId),
      saveSetting: (appId, settingId, value) => this.saveSetting(appId, settingId, value),
      publishSetting: (appId, setting) => this.publish(host, appId, setting),
      subscribeSettings: (apply) => this.subscribe(host, apply),
      local: this,
    };
  }

  /** Registers `host` to receive the setting changes the others publish. */
  subscribe(host: string, apply: SettingListener): () => void {
    if (this.subscribers.has(host)) {
      throw new Error(`Instance ${host} already receives setting changes from this store`);
    }
    this.subscribers.set(host, apply);
    return () => {
      if (this.subscribers.get(host) === apply) {
        this.subscribers.delete(host);
      }
    };
  }

  /** Relays a setting change made on `host` to every other instance; returns at once. */
  publish(host: string, appId: string, setting: ISetting): void {
    for (const [other, apply] of this.subscribers) {
      if (other === host) {
        continue;
      }
      const delivery = apply(appId, structuredClone(setting)).catch((error: unknown) => {
        this.failedRelays.push(`${host} -> ${other}: ${appId} ${setting.id}: ${error instanceof Error ? error.message : String(error)}`);
      });
      this.deliveries.add(delivery);
      void delivery.finally(() => this.deliveries.delete(delivery));
    }
  }

  /** True while a relayed setting change is being applied somewhere. */
  relaying(): boolean {
    return this.deliveries.size > 0;
  }

  /** Resolves once every relayed setting change has been applied, those that deliveries caused included. */
  async relaysSettled(): Promise<void> {
    while (this.deliveries.size > 0) {
      await Promise.all([...this.deliveries]);
    }
  }

  /** Relayed setting changes an instance failed to apply (its app rejected the value, say), one line each. */
  relayErrors(): string[] {
    return [...this.failedRelays];
  }

  /** Runs one operation for `host`, atomically (the table's methods are synchronous). */
  async apply<K extends PersistenceOp>(host: string, op: K, args: PersistenceArgs<K>): Promise<PersistenceResult<K>> {
    await this.wait();
    const perHost = this.counts.get(host) ?? new Map<PersistenceOp, number>();
    this.counts.set(host, perHost);
    perHost.set(op, (perHost.get(op) ?? 0) + 1);
    const result = this.table.apply(op, args);
    await this.wait();
    return result;
  }

  private async wait(): Promise<void> {
    const ms = this.latency();
    if (ms > 0) {
      await sleep(ms);
    }
  }

  async settingsOf(appId: string): Promise<Array<[string, unknown]>> {
    return [...(this.settings.get(appId) ?? [])].map(([id, value]) => [id, structuredClone(value)]);
  }

  async saveSetting(appId: string, settingId: string, value: unknown): Promise<void> {
    const values = this.settings.get(appId) ?? new Map<string, unknown>();
    if (value === undefined) {
      values.delete(settingId);
    } else {
      values.set(settingId, structuredClone(value));
    }
    this.settings.set(appId, values);
  }

  /** Copies of every app's records, oldest first. */
  stored(): StoredRecord[] {
    return this.table.snapshot();
  }

  /** Stores a record as an app's persistence would (see AppsEngineHarness.seedRecord). */
  seedRecord(appId: string, associations: Association[], data: object): void {
    this.table.seed(appId, associations, data);
  }

  /** How many operations each host performed since the start (or the last reset): host -> op -> count. */
  operationCounts(): Record<string, Partial<Record<PersistenceOp, number>>> {
    return Object.fromEntries([...this.counts].map(([host, ops]) => [host, Object.fromEntries(ops)]));
  }

  resetOperationCounts(): void {
    this.counts.clear();
  }
}
