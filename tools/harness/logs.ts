// The apps' log storage, read back with the app's own entries kept apart from the runtime's.
//
// On engine 1.62.0 every request to the Deno subprocess carries a fresh Logger, and the entries come
// back with its response (deno-runtime/main.ts, lib/messenger.ts). Besides what the app logged, that
// Logger holds the runtime's own `debug` entries about the request ("Command is being executed...",
// "<path>'s api:<path>:get is being executed..." with the whole request, "'onSettingUpdated' was
// successfully called! The result is:" …). Those carry endpoint queries (an OAuth `code`) and setting
// values (a client secret): a secret-hygiene test must look at the app's entries only. The runtime's
// entries are recognised by their caller: the deno-runtime handler function that logged them.
// The engine's own AppConsole entries (method `runtime:*`, e.g. restarts) are runtime entries too.

import type { ILoggerStorageEntry } from '@rocket.chat/apps-engine/server/logging';

/** Functions in deno-runtime/ that log about a request they handle (see each handler file). */
const RUNTIME_CALLERS = new Set([
  'handleApp', // handlers/app/handler.ts
  'formatResult', // handlers/app/handler.ts
  'slashCommandHandler', // handlers/slashcommand-handler.ts
  'apiHandler', // handlers/api-handler.ts
  'handleScheduler', // handlers/scheduler-handler.ts
  'videoConferenceHandler', // handlers/videoconference-handler.ts
  'outboundMessageHandler', // handlers/outboundcomms-handler.ts
]);

export interface LogLine {
  severity: string;
  args: unknown[];
  caller?: string;
  timestamp?: Date;
  /** `app`: the app logged it; `runtime`: the Apps-Engine runtime logged it about the request. */
  source: 'app' | 'runtime';
}

export interface LogRecord {
  appId: string;
  /** The request the entries belong to, e.g. `slashcommand:harness-ping:executor`, `app:onEnable`. */
  method?: string;
  entries: LogLine[];
}

function isRuntimeEntry(method: string | undefined, caller: string | undefined): boolean {
  if (method?.startsWith('runtime:')) {
    return true;
  }
  // The runtime's logger records "<method> -> <function>" of the frame that called it.
  return RUNTIME_CALLERS.has((caller ?? '').split(' -> ').pop() ?? '');
}

export function classify(entry: ILoggerStorageEntry): LogRecord {
  return {
    appId: entry.appId,
    method: entry.method,
    entries: (entry.entries ?? []).map((line) => ({
      severity: String(line.severity),
      args: line.args,
      caller: line.caller,
      timestamp: line.timestamp,
      source: isRuntimeEntry(entry.method, line.caller) ? 'runtime' : 'app',
    })),
  };
}

/** Keeps every stored log entry, classified. */
export class LogBook {
  private readonly records: LogRecord[] = [];

  constructor(private readonly onRecord?: (record: LogRecord) => void) {}

  add(entry: ILoggerStorageEntry): void {
    const record = classify(entry);
    this.records.push(record);
    this.onRecord?.(record);
  }

  /** Records restricted to entries from `source`, dropping records left empty. */
  bySource(source: LogLine['source'], appId?: string): LogRecord[] {
    return this.records
      .filter((record) => appId === undefined || record.appId === appId)
      .map((record) => ({ ...record, entries: record.entries.filter((line) => line.source === source) }))
      .filter((record) => record.entries.length > 0);
  }

  /** One line per error entry the app itself logged. */
  appErrors(appId?: string): string[] {
    return this.bySource('app', appId).flatMap((record) =>
      record.entries.filter((line) => line.severity === 'error').map((line) => `${record.method ?? '?'}: ${line.args.map(format).join(' ')}`),
    );
  }
}

export function format(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
