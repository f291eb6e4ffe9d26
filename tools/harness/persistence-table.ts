// App persistence records with Rocket.Chat's semantics (apps/meteor/app/apps/server/bridges/persistence.ts
// over the apps_persistence collection): records belong to one app; a query by associations matches a
// record holding EVERY association asked for (Mongo `$all`); updateByAssociations matches the exact
// association list (Mongo's equality on an array: same entries, same order) and upserts.
//
// One table holds the records of one "database": a single harness's World, or a SharedPersistence that
// several harnesses (one per simulated Rocket.Chat instance) reach. Both run this same code, so a shared
// store cannot drift from the single-host semantics. Every method is synchronous: one call is one
// operation, applied whole before any other starts, as one MongoDB operation is. There is deliberately
// no compare-and-set or transaction: the engine's persistence accessor offers none, so an app cannot
// rely on one.

import type { Association, StoredRecord } from './world';

/** The operations the engine's persistence bridge performs, each atomic at the store. */
export interface PersistenceOperations {
  create(appId: string, associations: Association[], data: object): string;
  /** `{}` for an unknown id, as Rocket.Chat answers. */
  readById(appId: string, id: string): object;
  readByAssociations(appId: string, associations: Association[]): object[];
  remove(appId: string, id: string): object | undefined;
  removeByAssociations(appId: string, associations: Association[]): object[] | undefined;
  /** Updates the record with exactly these associations, or creates it when `upsert`; '' when neither. */
  updateByAssociations(appId: string, associations: Association[], data: object, upsert: boolean): string;
  /** Removes every record of the app (the engine calls it when an app is uninstalled). */
  purge(appId: string): void;
}

export type PersistenceOp = keyof PersistenceOperations;
export type PersistenceArgs<K extends PersistenceOp> = Parameters<PersistenceOperations[K]>;
export type PersistenceResult<K extends PersistenceOp> = ReturnType<PersistenceOperations[K]>;

/** How a harness's persistence bridge reaches its records: in this process, or over a channel to another. */
export type PersistenceBackend = <K extends PersistenceOp>(op: K, args: PersistenceArgs<K>) => Promise<PersistenceResult<K>>;

export const PERSISTENCE_OPS: readonly PersistenceOp[] = [
  'create',
  'readById',
  'readByAssociations',
  'remove',
  'removeByAssociations',
  'updateByAssociations',
  'purge',
];

const same = (a: Association, b: Association): boolean => a.model === b.model && a.id === b.id;

// Mongo's `$all: []` matches nothing, so neither does an empty association list.
const hasAll = (record: StoredRecord, wanted: Association[]): boolean =>
  wanted.length > 0 && wanted.every((association) => record.associations.some((held) => same(held, association)));

const exactly = (record: StoredRecord, wanted: Association[]): boolean =>
  record.associations.length === wanted.length && wanted.every((association, index) => same(record.associations[index], association));

const copyAssociations = (associations: Association[]): Association[] => associations.map(({ model, id }) => ({ model, id }));

export function assertStorable(data: unknown): asserts data is object {
  if (typeof data !== 'object' || data === null) {
    throw new Error('Attempted to store an invalid data type, it must be an object.');
  }
}

export class PersistenceTable implements PersistenceOperations {
  constructor(
    /** The live array of records (a World's, or a shared store's); changed in place. */
    private readonly records: StoredRecord[],
    /** Called after every change (a file store writes the records back). */
    private readonly changed: () => void,
    private readonly newId: () => string,
  ) {}

  private mine(appId: string): StoredRecord[] {
    return this.records.filter((record) => record.appId === appId);
  }

  private drop(dropped: StoredRecord[]): void {
    const kept = this.records.filter((record) => !dropped.includes(record));
    this.records.splice(0, this.records.length, ...kept);
    this.changed();
  }

  /** Runs one operation by name (what a channel from another process asks for). */
  apply<K extends PersistenceOp>(op: K, args: PersistenceArgs<K>): PersistenceResult<K> {
    if (!PERSISTENCE_OPS.includes(op)) {
      throw new Error(`Unknown persistence operation: ${String(op)}`);
    }
    return (this[op] as (...a: unknown[]) => PersistenceResult<K>)(...args);
  }

  /** Copies of the records, oldest first. */
  snapshot(): StoredRecord[] {
    return this.records.map((record) => structuredClone(record));
  }

  create(appId: string, associations: Association[], data: object): string {
    assertStorable(data);
    const record: StoredRecord = { id: this.newId(), appId, associations: copyAssociations(associations), data: structuredClone(data) };
    this.records.push(record);
    this.changed();
    return record.id;
  }

  readById(appId: string, id: string): object {
    return structuredClone(this.mine(appId).find((record) => record.id === id)?.data ?? {});
  }

  readByAssociations(appId: string, associations: Association[]): object[] {
    return this.mine(appId)
      .filter((record) => hasAll(record, associations))
      .map((record) => structuredClone(record.data));
  }

  remove(appId: string, id: string): object | undefined {
    const record = this.mine(appId).find((candidate) => candidate.id === id);
    if (!record) {
      return undefined;
    }
    this.drop([record]);
    return record.data;
  }

  removeByAssociations(appId: string, associations: Association[]): object[] | undefined {
    const records = this.mine(appId).filter((record) => hasAll(record, associations));
    if (records.length === 0) {
      return undefined;
    }
    this.drop(records);
    return records.map((record) => record.data);
  }

  updateByAssociations(appId: string, associations: Association[], data: object, upsert: boolean): string {
    assertStorable(data);
    const record = this.mine(appId).find((candidate) => exactly(candidate, associations));
    if (record) {
      record.data = structuredClone(data);
      this.changed();
      return record.id;
    }
    return upsert ? this.create(appId, associations, data) : '';
  }

  purge(appId: string): void {
    this.drop(this.mine(appId));
  }

  /**
   * Replaces the app's records with exactly these associations by one new record (a record an earlier
   * version of the app wrote, say): what `updateByAssociations` with upsert leaves, under a new id.
   */
  seed(appId: string, associations: Association[], data: object): string {
    const kept = this.records.filter((record) => record.appId !== appId || !exactly(record, associations));
    this.records.splice(0, this.records.length, ...kept);
    return this.create(appId, associations, data);
  }
}
