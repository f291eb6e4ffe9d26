// Counts what an app's Deno subprocess asks of the server: every accessor and bridge call it makes
// arrives at the engine's DenoRuntimeSubprocessController.handleIncomingMessage as one message
// (server/runtime/deno/AppsEngineDenoRuntime.js), and is one IPC round trip (about 0.2 ms on the
// 1.62.0 runtime). Counted by app and by method, e.g. `accessor:getReader:getPersistenceReader:readByAssociations`.

import type { Engine } from './engine';

type Counts = Map<string, Map<string, number>>;

interface Controller {
  appPackage?: { info?: { id?: string } };
}
interface IncomingMessage {
  payload?: { method?: unknown };
}

/** The counters of every running harness; the engine's prototype is patched once per process. */
const listeners = new Set<Counts>();
let patched = false;

export class RoundTrips {
  private readonly counts: Counts = new Map();
  /** Each app's total when the engine last handed back its answer to an endpoint request. */
  private readonly atAnswer = new Map<string, number>();

  constructor(engine: Engine) {
    patchOnce(engine);
  }

  start(): void {
    listeners.add(this.counts);
  }

  stop(): void {
    listeners.delete(this.counts);
  }

  /** The calls an app made since the last reset: in all, and by method. */
  of(appId: string): { total: number; byMethod: Record<string, number> } {
    const byMethod = Object.fromEntries(this.counts.get(appId) ?? []);
    return { total: Object.values(byMethod).reduce((sum, n) => sum + n, 0), byMethod };
  }

  /** The engine has the app's answer to an endpoint request: what the app does after it is not counted for it. */
  answered(appId: string): void {
    this.atAnswer.set(appId, this.of(appId).total);
  }

  /**
   * The calls an app made, since the last reset, before the engine had its last endpoint answer:
   * what that answer waited for. Work the app starts after answering (the notice that follows a
   * page) can reach the server before the browser has read the page, and is not in it.
   */
  beforeLastAnswer(appId: string): number | undefined {
    return this.atAnswer.get(appId);
  }

  reset(): void {
    this.counts.clear();
    this.atAnswer.clear();
  }
}

function patchOnce(engine: Engine): void {
  if (patched) return;
  patched = true;
  const prototype = engine.DenoRuntimeSubprocessController.prototype as unknown as { handleIncomingMessage(message: IncomingMessage): Promise<void> };
  const original = prototype.handleIncomingMessage;
  prototype.handleIncomingMessage = function (this: Controller, message: IncomingMessage) {
    const method = message?.payload?.method;
    const appId = this.appPackage?.info?.id;
    if (appId && typeof method === 'string' && (method.startsWith('accessor:') || method.startsWith('bridges:'))) {
      for (const counts of listeners) {
        const app = counts.get(appId) ?? new Map<string, number>();
        app.set(method, (app.get(method) ?? 0) + 1);
        counts.set(appId, app);
      }
    }
    return original.call(this, message);
  };
}
