// The engine's persistence bridge. What the operations mean (Rocket.Chat's semantics: association
// matching, exact-list upserts, records per app) lives in persistence-table.ts; this bridge only turns
// the engine's arguments into plain values and hands each call, as one operation, to its backend: the
// harness's own table, or a store shared with other harnesses (shared-persistence.ts), possibly in
// another process.
// Associations arrive from the Deno runtime as plain `{ model, id }` objects, not RocketChatAssociationRecord.
// Update by id is "Not implemented." in Rocket.Chat, so it throws here too.

import type { RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import type { Engine } from '../engine';
import { assertStorable, type PersistenceBackend } from '../persistence-table';
import type { Association } from '../world';

function plain(association: RocketChatAssociationRecord | Association): Association {
  const value = association as unknown as { model?: unknown; id?: unknown; getModel?: () => string; getID?: () => string };
  const model = typeof value.getModel === 'function' ? value.getModel() : value.model;
  const id = typeof value.getID === 'function' ? value.getID() : value.id;
  if (typeof model !== 'string' || typeof id !== 'string') {
    throw new Error(`Invalid association: ${JSON.stringify(association)}`);
  }
  return { model, id };
}

export function createPersistenceBridge(engine: Engine, backend: PersistenceBackend) {
  class HarnessPersistenceBridge extends engine.bridges.PersistenceBridge {
    protected async purge(appId: string): Promise<void> {
      await backend('purge', [appId]);
    }

    protected async create(data: object, appId: string): Promise<string> {
      return this.createWithAssociations(data, [], appId);
    }

    protected async createWithAssociations(data: object, associations: RocketChatAssociationRecord[], appId: string): Promise<string> {
      assertStorable(data);
      return backend('create', [appId, associations.map(plain), data]);
    }

    protected async readById(id: string, appId: string): Promise<object> {
      return backend('readById', [appId, id]);
    }

    protected async readByAssociations(associations: RocketChatAssociationRecord[], appId: string): Promise<object[]> {
      return backend('readByAssociations', [appId, associations.map(plain)]);
    }

    protected async remove(id: string, appId: string): Promise<object | undefined> {
      return backend('remove', [appId, id]);
    }

    protected async removeByAssociations(associations: RocketChatAssociationRecord[], appId: string): Promise<object[] | undefined> {
      return backend('removeByAssociations', [appId, associations.map(plain)]);
    }

    protected async update(_id: string, data: object): Promise<string> {
      assertStorable(data);
      throw new Error('Not implemented.');
    }

    protected async updateByAssociations(associations: RocketChatAssociationRecord[], data: object, upsert: boolean, appId: string): Promise<string> {
      assertStorable(data);
      return backend('updateByAssociations', [appId, associations.map(plain), data, upsert]);
    }
  }

  return new HarnessPersistenceBridge();
}
