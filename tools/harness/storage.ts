// The three storages AppManager requires (server/storage/*.d.ts), kept in memory. What a database
// would do matters to the engine: it signs the stored app record at install and verifies the
// signature at every enable (server/managers/AppSignatureManager.js), so records are stored and handed
// back as copies, never as the live objects the engine keeps mutating.

import type { AppStatus } from '@rocket.chat/apps-engine/definition/AppStatus';
import type { IAppInfo } from '@rocket.chat/apps-engine/definition/metadata';
import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { ILoggerStorageEntry } from '@rocket.chat/apps-engine/server/logging';
import type { IMarketplaceInfo } from '@rocket.chat/apps-engine/server/marketplace';
import type { AppLogStorage, AppMetadataStorage, AppSourceStorage, IAppLogStorageFindOptions, IAppStorageItem } from '@rocket.chat/apps-engine/server/storage';

import type { Engine } from './engine';

type Storages = { metadata: AppMetadataStorage; source: AppSourceStorage; logs: AppLogStorage };

const copy = <T>(value: T): T => structuredClone(value);

/**
 * `onSettingUpdated` hears every app setting change the engine stores (an administrator's through
 * AppSettingsManager.updateAppSetting, or the app's own through its setting updater), with the
 * value the app sees (after its onPreSettingUpdate). The engine waits for it, as it waits for a
 * database write: a store in another process has the value once the change returns.
 */
export function createStorages(
  engine: Engine,
  onLog: (entry: ILoggerStorageEntry) => void,
  onSettingUpdated?: (appId: string, setting: ISetting) => void | Promise<void>,
): Storages {
  const { AppMetadataStorage, AppSourceStorage, AppLogStorage, AppInstallationSource } = engine.storage;

  class MemoryMetadataStorage extends AppMetadataStorage {
    private readonly items = new Map<string, IAppStorageItem>();

    constructor() {
      super('memory');
    }

    private byMongoId(_id: string): IAppStorageItem {
      const item = [...this.items.values()].find((candidate) => candidate._id === _id);
      if (!item) {
        throw new Error(`No stored app record with _id ${_id}`);
      }
      return item;
    }

    async create(item: IAppStorageItem): Promise<IAppStorageItem> {
      if (this.items.has(item.id)) {
        throw new Error(`App ${item.id} is already installed`);
      }
      const now = new Date();
      const stored = { ...copy(item), _id: item._id ?? item.id, createdAt: now, updatedAt: now };
      this.items.set(item.id, stored);
      return copy(stored);
    }

    async retrieveOne(id: string): Promise<IAppStorageItem | null> {
      const item = this.items.get(id);
      return item ? copy(item) : null;
    }

    async retrieveAll(): Promise<Map<string, IAppStorageItem>> {
      return new Map([...this.items].map(([id, item]) => [id, copy(item)]));
    }

    async retrieveAllPrivate(): Promise<Map<string, IAppStorageItem>> {
      const all = await this.retrieveAll();
      return new Map([...all].filter(([, item]) => item.installationSource === AppInstallationSource.PRIVATE));
    }

    async remove(id: string): Promise<{ success: boolean }> {
      return { success: this.items.delete(id) };
    }

    async updatePartialAndReturnDocument(partial: Partial<IAppStorageItem>, options?: { unsetPermissionsGranted?: boolean }): Promise<IAppStorageItem> {
      const item = this.byMongoId(partial._id ?? '');
      Object.assign(item, copy(partial), { updatedAt: new Date() });
      if (options?.unsetPermissionsGranted) {
        delete item.permissionsGranted;
      }
      return copy(item);
    }

    async updateStatus(_id: string, status: AppStatus): Promise<boolean> {
      Object.assign(this.byMongoId(_id), { status, updatedAt: new Date() });
      return true;
    }

    async updateSetting(_id: string, setting: ISetting): Promise<boolean> {
      const item = this.byMongoId(_id);
      item.settings[setting.id] = copy(setting);
      await onSettingUpdated?.(item.id, copy(setting));
      return true;
    }

    async updateAppInfo(_id: string, info: IAppInfo): Promise<boolean> {
      Object.assign(this.byMongoId(_id), { info: copy(info), updatedAt: new Date() });
      return true;
    }

    async updateMarketplaceInfo(_id: string, marketplaceInfo: IMarketplaceInfo[]): Promise<boolean> {
      Object.assign(this.byMongoId(_id), { marketplaceInfo: copy(marketplaceInfo), updatedAt: new Date() });
      return true;
    }
  }

  class MemorySourceStorage extends AppSourceStorage {
    private readonly packages = new Map<string, Buffer>();

    async store(item: IAppStorageItem, zip: Buffer): Promise<string> {
      this.packages.set(item.id, Buffer.from(zip));
      return `memory:${item.id}`;
    }

    async fetch(item: IAppStorageItem): Promise<Buffer> {
      const zip = this.packages.get(item.id);
      if (!zip) {
        throw new Error(`No package stored for app ${item.id}`);
      }
      return zip;
    }

    async update(item: IAppStorageItem, zip: Buffer): Promise<string> {
      return this.store(item, zip);
    }

    async remove(item: IAppStorageItem): Promise<void> {
      this.packages.delete(item.id);
    }
  }

  // Entries arrive with the response to each request (server/runtime/deno/AppsEngineDenoRuntime.js,
  // handleResultMessage) and from the engine's own AppConsole (restarts, unhandled errors).
  class MemoryLogStorage extends AppLogStorage {
    readonly entries: ILoggerStorageEntry[] = [];

    constructor() {
      super('memory');
    }

    async storeEntries(entry: ILoggerStorageEntry): Promise<ILoggerStorageEntry> {
      this.entries.push(entry);
      onLog(entry);
      return entry;
    }

    async getEntriesFor(appId: string): Promise<ILoggerStorageEntry[]> {
      return this.entries.filter((entry) => entry.appId === appId);
    }

    async findPaginated(query: { [field: string]: unknown }, options?: IAppLogStorageFindOptions): Promise<{ logs: ILoggerStorageEntry[]; total: number }> {
      const matching = this.entries.filter((entry) =>
        Object.entries(query).every(([field, value]) => (entry as unknown as Record<string, unknown>)[field] === value),
      );
      const skip = options?.skip ?? 0;
      const logs = matching.slice(skip, options?.limit === undefined ? undefined : skip + options.limit);
      return { logs, total: matching.length };
    }

    async removeEntriesFor(appId: string): Promise<void> {
      const kept = this.entries.filter((entry) => entry.appId !== appId);
      this.entries.splice(0, this.entries.length, ...kept);
    }
  }

  return { metadata: new MemoryMetadataStorage(), source: new MemorySourceStorage(), logs: new MemoryLogStorage() };
}
