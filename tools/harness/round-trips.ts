// Counts what an app's Deno subprocess asks of the server: every accessor and bridge call it makes
// arrives at the engine's DenoRuntimeSubprocessController.handleIncomingMessage as one message
// (server/runtime/deno/AppsEngineDenoRuntime.js), and is one IPC round trip (about 0.2 ms on the
// 1.62.0 runtime). Counted by app and by method, e.g. `accessor:getReader:getPersistenceReader:readByAssociations`.
//
// Also noted: how many calls had arrived when the app's answer to a request arrived. The subprocess
// sends its messages in order through one queue (deno-runtime/lib/messenger.ts), so what it asked
// after answering comes after the answer; the engine, though, stores the answer's log entries
// before it hands the answer on, and counts taken then would include calls that came meanwhile.

import type { Engine } from './engine';

type Counts = Map<string, Map<string, number>>;

interface Controller {
  appPackage?: { info?: { id?: string } };
}
interface IncomingMessage {
  payload?: { method?: unknown };
}

/** The counters of every running harness; the engine's prototype is patched once per process. */
const listeners = new Set<RoundTrips>();
let patched = false;

export class RoundTrips {
  private readonly counts: Counts = new Map();
  /** Each app's total when its last answer to a request arrived. */
  private readonly atLastAnswer = new Map<string, number>();

  constructor(engine: Engine) {
    patchOnce(engine);
  }

  start(): void {
    listeners.add(this);
  }

  stop(): void {
    listeners.delete(this);
  }

  /** The calls an app made since the last reset: in all, and by method. */
  of(appId: string): { total: number; byMethod: Record<string, number> } {
    const byMethod = Object.fromEntries(this.counts.get(appId) ?? []);
    return { total: Object.values(byMethod).reduce((sum, n) => sum + n, 0), byMethod };
  }

  /**
   * The calls an app made, since the last reset, before its last answer to a request (an endpoint's,
   * a command's): what that answer waited for. Work the app starts after answering (the notice that
   * follows a page) can reach the server before the browser has read the page, and is not in it.
   */
  beforeLastAnswer(appId: string): number | undefined {
    return this.atLastAnswer.get(appId);
  }

  reset(): void {
    this.counts.clear();
    this.atLastAnswer.clear();
  }

  /** For the patched engine. */
  called(appId: string, method: string): void {
    const app = this.counts.get(appId) ?? new Map<string, number>();
    app.set(method, (app.get(method) ?? 0) + 1);
    this.counts.set(appId, app);
  }

  /** For the patched engine. */
  answered(appId: string): void {
    this.atLastAnswer.set(appId, this.of(appId).total);
  }
}

function patchOnce(engine: Engine): void {
  if (patched) return;
  patched = true;
  const prototype = engine.DenoRuntimeSubprocessController.prototype as unknown as {
    handleIncomingMessage(message: IncomingMessage): Promise<void>;
    handleResultMessage(message: unknown): Promise<void>;
  };
  const incoming = prototype.handleIncomingMessage;
  prototype.handleIncomingMessage = function (this: Controller, message: IncomingMessage) {
    const method = message?.payload?.method;
    const appId = this.appPackage?.info?.id;
    if (appId && typeof method === 'string' && (method.startsWith('accessor:') || method.startsWith('bridges:'))) {
      for (const roundTrips of listeners) roundTrips.called(appId, method);
    }
    return incoming.call(this, message);
  };
  const result = prototype.handleResultMessage;
  prototype.handleResultMessage = function (this: Controller, message: unknown) {
    const appId = this.appPackage?.info?.id;
    if (appId) for (const roundTrips of listeners) roundTrips.answered(appId);
    return result.call(this, message);
  };
}
