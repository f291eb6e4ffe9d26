// FileStore: keeps the part of a harness that must survive a restart of the whole Node process (a
// local run reinstalls the app's zip on every start) in one JSON file. Its only job is that file:
// load and validate it, and write it back, atomically and coalesced, whenever something in it changes.
//
// What the file holds, and nothing else:
//   {
//     "format": "apps-engine-harness-storage",
//     "version": 1,
//     "records":  [{ "id", "appId", "associations": [{ "model", "id" }], "data" }],  // the apps' persistence records
//     "settings": { "<appId>": { "<settingId>": <value> } }                             // app setting values set at run time
//   }
// `records` are exactly what the apps stored through the persistence bridge (for the OAuth app: its
// tokens, pending states and connect links, in the form the app stores them), with the record ids the
// bridge gave them; `settings` are the values an administrator (harness.setSetting) or the app itself
// set, a client secret included. So the file is secret: its folder is created 0700, the file is 0600,
// and every rewrite goes through a temp file created 0600 in the same folder (fsync, rename).
// Users, rooms, messages, logs and the installed apps are not in it: a local run re-adds them.
//
// A file that is not JSON or not this shape is never overwritten or discarded: open() throws, naming
// the file and what is wrong. Changes are written after a short quiet period (WRITE_DELAY_MS), one write
// for a burst of changes; flush() writes what is pending (the harness's stop() calls it).

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { z } from 'zod';

import type { StoredRecord } from './world';

const FORMAT = 'apps-engine-harness-storage';
const VERSION = 1;
/** Changes within this many milliseconds of the first one share one write. */
const WRITE_DELAY_MS = 20;

const recordSchema = z.strictObject({
  id: z.string().min(1),
  appId: z.string().min(1),
  associations: z.array(z.strictObject({ model: z.string(), id: z.string() })),
  // The bridge stores any object an app hands it (arrays included).
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
});

const fileSchema = z
  .strictObject({
    format: z.literal(FORMAT),
    version: z.literal(VERSION),
    records: z.array(recordSchema),
    settings: z.record(z.string().min(1), z.record(z.string().min(1), z.unknown())),
  })
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.records.forEach((record, index) => {
      if (seen.has(record.id)) {
        context.addIssue({ code: 'custom', path: ['records', index, 'id'], message: `duplicate record id ${record.id}` });
      }
      seen.add(record.id);
    });
  });

type FileContents = z.infer<typeof fileSchema>;

export class FileStore {
  private readonly settings: Map<string, Map<string, unknown>>;
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress, if any; writes never overlap. */
  private writing: Promise<void> | undefined;
  private dirty = false;
  private tempCounter = 0;

  private constructor(
    /** Absolute path of the file. */
    readonly file: string,
    /** The records the file held when it was opened (the harness adopts these objects). */
    readonly loadedRecords: StoredRecord[],
    settings: FileContents['settings'],
    private readonly currentRecords: () => readonly StoredRecord[],
  ) {
    this.settings = new Map(Object.entries(settings).map(([appId, values]) => [appId, new Map(Object.entries(values))]));
  }

  /**
   * Creates the file's folder (mode 0700) if it is missing and reads the file if it exists; throws when
   * it exists but is not a valid storage file. `records` gives the live records at every write.
   */
  static async open(file: string, records: () => readonly StoredRecord[]): Promise<FileStore> {
    const path = resolve(file);
    const folder = dirname(path);
    if ((await mkdir(folder, { recursive: true, mode: 0o700 })) !== undefined) {
      await chmod(folder, 0o700); // mkdir's mode is filtered by the umask
    }

    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`Harness storage file ${path} cannot be read: ${(error as Error).message}`);
      }
    }
    if (text === undefined) {
      return new FileStore(path, [], {}, records);
    }

    const contents = parse(path, text);
    // A copy made by hand may be readable by others; what this module writes never is.
    await chmod(path, 0o600);
    return new FileStore(
      path,
      contents.records.map((record) => structuredClone(record) as StoredRecord),
      contents.settings,
      records,
    );
  }

  /** The setting values stored for an app (settingId -> value). */
  settingsOf(appId: string): Map<string, unknown> {
    return new Map(this.settings.get(appId));
  }

  /** Records a setting's new value (undefined: unset) and schedules a write. */
  setSetting(appId: string, settingId: string, value: unknown): void {
    const values = this.settings.get(appId) ?? new Map<string, unknown>();
    if (value === undefined) {
      values.delete(settingId);
    } else {
      values.set(settingId, structuredClone(value));
    }
    this.settings.set(appId, values);
    this.changed();
  }

  /** Something in the file changed (the records are read at write time): schedules one write for the burst. */
  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Writes pending changes now and resolves once they are on disk; rejects when the write fails. */
  async flush(): Promise<void> {
    for (;;) {
      this.cancelTimer();
      if (this.writing) {
        await this.writing.catch(() => undefined);
        continue;
      }
      if (!this.dirty) {
        return;
      }
      await this.startWrite();
    }
  }

  private schedule(): void {
    if (this.timer || this.writing) {
      return; // the pending write, or the one after the write in progress, takes this change along
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) {
        this.startWrite().catch((error: unknown) => {
          // Kept dirty, not retried in a loop: the next change or flush() (stop) tries again, and flush() throws.
          console.error(`Harness storage: could not write ${this.file}: ${(error as Error).message}`);
        });
      }
    }, WRITE_DELAY_MS);
  }

  private cancelTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private startWrite(): Promise<void> {
    let text: string;
    try {
      text = this.serialize(); // a snapshot of this moment; later changes mark the store dirty again
    } catch (error) {
      return Promise.reject(error);
    }
    this.dirty = false;
    const writing = this.writeAtomically(text).then(
      () => {
        this.writing = undefined;
        if (this.dirty) {
          this.schedule(); // changes that arrived during the write
        }
      },
      (error: unknown) => {
        this.writing = undefined;
        this.dirty = true;
        throw error;
      },
    );
    this.writing = writing;
    return writing;
  }

  private serialize(): string {
    const contents: FileContents = {
      format: FORMAT,
      version: VERSION,
      records: this.currentRecords().map(({ id, appId, associations, data }) => ({
        id,
        appId,
        associations,
        data: data as FileContents['records'][number]['data'],
      })),
      settings: Object.fromEntries([...this.settings].filter(([, values]) => values.size > 0).map(([appId, values]) => [appId, Object.fromEntries(values)])),
    };
    return `${JSON.stringify(contents, null, 2)}\n`;
  }

  /** Temp file (0600) in the same folder, fsync, rename over the file, fsync the folder. */
  private async writeAtomically(text: string): Promise<void> {
    const folder = dirname(this.file);
    const temp = join(folder, `.${basename(this.file)}.${process.pid}.${++this.tempCounter}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      try {
        await handle.chmod(0o600); // open's mode is filtered by the umask
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncFolder(folder);
  }
}

function parse(path: string, text: string): FileContents {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Harness storage file ${path} is not valid JSON (${(error as Error).message}). It was left as it is: repair it, or move it away to start with empty storage.`,
    );
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== FORMAT) {
    throw new Error(
      `Harness storage file ${path} is not a harness storage file (no "format": "${FORMAT}"). It was left as it is: point the storage option at another file, or move this one away.`,
    );
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    const more = result.error.issues.length > 5 ? `; and ${result.error.issues.length - 5} more` : '';
    throw new Error(
      `Harness storage file ${path} is damaged: ${issues.join('; ')}${more}. It was left as it is: repair it, or move it away to start with empty storage.`,
    );
  }
  return result.data;
}

/** Makes the rename durable; not every platform can open a folder for fsync (Windows), which is fine. */
async function syncFolder(folder: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
