// Watches the apps' Deno subprocesses from the Node side, without sending them anything.
//
// When a subprocess dies the engine restarts it (server/runtime/deno/LivenessManager.js handleExit ->
// AppsEngineDenoRuntime.restartApp: spawn, construct, initialize, setStatus, onEnable). Two traps:
//   - While that runs, any status request (a command, an endpoint call) gets UNKNOWN, and ProxiedApp
//     memoizes it for 5 minutes (server/ProxiedApp.js: `getStatus = mem(…, { maxAge: 5 min })`, cleared
//     only on process exit or setStatus): the app then looks disabled long after it is back. The
//     controller's own state is no guide: it reads 'ready' as soon as the new process starts, before
//     the app is constructed.
//   - Stopping the engine in the middle of a restart makes restartApp fail, and LivenessManager retries
//     it on a timer forever, spawning deno again after the harness has gone.
//   - Node learns that a child died only when it handles SIGCHLD, an event-loop turn or more after a
//     `process.kill(pid)`: a request written before that goes to the dead process and waits for the
//     engine's 30 s timeout. After killing a subprocess, wait for its replacement (waitUntilSettled
//     with `replacing`) before sending anything.
// A restart is complete when the engine stores its `runtime:restart` log ("New subprocess successfully
// spawned" with the new pid, then "Successfully restarted app subprocess"). The harness therefore
// treats a subprocess as settled when it is alive and is the one the install or the last completed
// restart left running.

import type { ChildProcess } from 'node:child_process';

import type { AppManager } from '@rocket.chat/apps-engine/server/AppManager';

import type { LogRecord } from './logs';

/** The parts of DenoRuntimeSubprocessController (server/runtime/deno/AppsEngineDenoRuntime.js) the watch reads. */
interface SubprocessController {
  deno?: ChildProcess; // private in the typings
  getProcessState(): string;
}

export class RuntimeWatch {
  private readonly settled = new Map<string, number>();
  private manager?: AppManager;

  attach(manager: AppManager): void {
    this.manager = manager;
  }

  private controller(appId: string): SubprocessController | undefined {
    return this.manager?.getOneById(appId)?.getRuntimeController() as unknown as SubprocessController | undefined;
  }

  pid(appId: string): number | undefined {
    return this.controller(appId)?.deno?.pid;
  }

  /** The current subprocess is the settled one (called once an install finished). */
  markSettled(appId: string): void {
    const pid = this.pid(appId);
    if (pid !== undefined) {
      this.settled.set(appId, pid);
    }
  }

  /** Feeds the log records the engine stores; a completed restart settles its new subprocess. */
  observe(record: LogRecord): void {
    if (record.method !== 'runtime:restart') {
      return;
    }
    const args = record.entries.flatMap((line) => line.args);
    const spawned = args.find(
      (arg): arg is { pid: number } => typeof arg === 'object' && arg !== null && (arg as { msg?: unknown }).msg === 'New subprocess successfully spawned',
    );
    if (spawned && args.includes('Successfully restarted app subprocess')) {
      this.settled.set(record.appId, spawned.pid);
    }
  }

  isSettled(appId: string): boolean {
    const controller = this.controller(appId);
    const child = controller?.deno;
    return (
      child?.pid !== undefined &&
      child.exitCode === null &&
      child.signalCode === null &&
      child.pid === this.settled.get(appId) &&
      controller?.getProcessState() === 'ready'
    );
  }

  /** The engine is restarting a subprocess that had settled (it died or was replaced since). */
  isRestarting(appId: string): boolean {
    return this.settled.has(appId) && !this.isSettled(appId);
  }

  /** Resolves with the settled subprocess's pid — one other than `replacing`, when given. */
  async waitUntilSettled(appId: string, options: { replacing?: number; timeoutMs?: number } = {}): Promise<number> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = this.pid(appId);
      if (this.isSettled(appId) && pid !== undefined && pid !== options.replacing) {
        return pid;
      }
      if (Date.now() > deadline) {
        throw new Error(`The Deno subprocess of app ${appId} did not settle within ${timeoutMs} ms (state: ${this.controller(appId)?.getProcessState()})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Every live subprocess, to wait for their exits after the engine unloaded. */
  children(appIds: string[]): ChildProcess[] {
    return appIds.map((appId) => this.controller(appId)?.deno).filter((child): child is ChildProcess => child !== undefined);
  }
}
