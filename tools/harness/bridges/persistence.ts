// App persistence with Rocket.Chat's semantics (apps/meteor/app/apps/server/bridges/persistence.ts):
// records belong to one app; a query by associations matches a record holding EVERY association asked
// for (Mongo `$all`); updateByAssociations matches the exact association list and upserts;
// update by id is "Not implemented." there, so it throws here too.
// Associations arrive from the Deno runtime as plain `{ model, id }` objects, not RocketChatAssociationRecord.

import type { RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import type { Engine } from '../engine';
import type { Association, StoredRecord, World } from '../world';

function plain(association: RocketChatAssociationRecord | Association): Association {
  const value = association as unknown as { model?: unknown; id?: unknown; getModel?: () => string; getID?: () => string };
  const model = typeof value.getModel === 'function' ? value.getModel() : value.model;
  const id = typeof value.getID === 'function' ? value.getID() : value.id;
  if (typeof model !== 'string' || typeof id !== 'string') {
    throw new Error(`Invalid association: ${JSON.stringify(association)}`);
  }
  return { model, id };
}

const same = (a: Association, b: Association): boolean => a.model === b.model && a.id === b.id;

// Mongo's `$all: []` matches nothing, so neither does an empty association list.
const hasAll = (record: StoredRecord, wanted: Association[]): boolean =>
  wanted.length > 0 && wanted.every((association) => record.associations.some((held) => same(held, association)));

const exactly = (record: StoredRecord, wanted: Association[]): boolean =>
  record.associations.length === wanted.length && wanted.every((association, index) => same(record.associations[index], association));

function assertObject(data: unknown): asserts data is object {
  if (typeof data !== 'object' || data === null) {
    throw new Error('Attempted to store an invalid data type, it must be an object.');
  }
}

export function createPersistenceBridge(engine: Engine, world: World) {
  class HarnessPersistenceBridge extends engine.bridges.PersistenceBridge {
    private mine(appId: string): StoredRecord[] {
      return world.records.filter((record) => record.appId === appId);
    }

    private drop(records: StoredRecord[]): void {
      const kept = world.records.filter((record) => !records.includes(record));
      world.records.splice(0, world.records.length, ...kept);
      world.recordsChanged();
    }

    protected async purge(appId: string): Promise<void> {
      this.drop(this.mine(appId));
    }

    protected async create(data: object, appId: string): Promise<string> {
      return this.createWithAssociations(data, [], appId);
    }

    protected async createWithAssociations(data: object, associations: RocketChatAssociationRecord[], appId: string): Promise<string> {
      assertObject(data);
      const record = { id: world.newId(), appId, associations: associations.map(plain), data: structuredClone(data) };
      world.records.push(record);
      world.recordsChanged();
      return record.id;
    }

    protected async readById(id: string, appId: string): Promise<object> {
      return structuredClone(this.mine(appId).find((record) => record.id === id)?.data ?? {});
    }

    protected async readByAssociations(associations: RocketChatAssociationRecord[], appId: string): Promise<object[]> {
      const wanted = associations.map(plain);
      return this.mine(appId)
        .filter((record) => hasAll(record, wanted))
        .map((record) => structuredClone(record.data));
    }

    protected async remove(id: string, appId: string): Promise<object | undefined> {
      const record = this.mine(appId).find((candidate) => candidate.id === id);
      if (!record) {
        return undefined;
      }
      this.drop([record]);
      return record.data;
    }

    protected async removeByAssociations(associations: RocketChatAssociationRecord[], appId: string): Promise<object[] | undefined> {
      const wanted = associations.map(plain);
      const records = this.mine(appId).filter((record) => hasAll(record, wanted));
      if (records.length === 0) {
        return undefined;
      }
      this.drop(records);
      return records.map((record) => record.data);
    }

    protected async update(_id: string, data: object): Promise<string> {
      assertObject(data);
      throw new Error('Not implemented.');
    }

    protected async updateByAssociations(associations: RocketChatAssociationRecord[], data: object, upsert: boolean, appId: string): Promise<string> {
      assertObject(data);
      const wanted = associations.map(plain);
      const record = this.mine(appId).find((candidate) => exactly(candidate, wanted));
      if (record) {
        record.data = structuredClone(data);
        world.recordsChanged();
        return record.id;
      }
      if (!upsert) {
        return '';
      }
      return this.createWithAssociations(data, associations, appId);
    }
  }

  return new HarnessPersistenceBridge();
}
