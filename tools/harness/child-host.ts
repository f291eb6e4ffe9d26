// startChildHost(): another Rocket.Chat server instance, as a harness in a child Node process (the
// Apps-Engine AppManager is a process-wide singleton, so a second engine needs a second process). Its
// apps persist to a SharedPersistence that lives in this process: every operation of the child's
// persistence bridge is one IPC request answered here (host-protocol.ts). Everything else (users,
// rooms, messages, logs, outbound routes, its HTTP server on its own port) is the child's own.
//
// The child runs tools/harness/host-process.ts, bundled with esbuild as the project's other launchers
// do (dependencies stay in node_modules), into node_modules/.cache/apps-engine-harness-host/ under a
// name that is the bundle's hash: built once per test process, shared by concurrent jest workers.
// Neither the child nor its Deno subprocesses outlive stop(); if this process dies first, the child
// sees its IPC channel close and stops its engine itself.

import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

import type { CommandInput } from './harness';
import type { HarnessHost } from './host';
import { errorText, type ChildHostStartOptions, type FromChild, type HostMethod, type StoreRequest, type ToChild } from './host-protocol';
import type { SharedPersistence } from './shared-persistence';

export interface ChildHostOptions {
  /** The store the child's apps persist to; it lives in this process. */
  sharedStore: SharedPersistence;
  /** Its name in errors and in the store's operation counts; default 'B'. */
  name?: string;
  /** Server setting Site_Url; default: the child's own base URL. A cluster gives every instance the same. */
  siteUrl?: string;
  /** Server setting Language; default 'en'. */
  language?: string;
  /** Port of its endpoint server on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** How long the child may take to bundle, start and get its engine ready; default 60 s. */
  startTimeoutMs?: number;
  /** Each chunk the child writes to stdout or stderr; by default the last 16 KB are kept for error messages. */
  onOutput?: (text: string) => void;
}

const OUTPUT_KEEP = 16 * 1024;
const STOP_TIMEOUT_MS = 20_000;

let bundle: Promise<string> | undefined;

/** The child's entry, bundled (once per process); its path. */
function hostBundle(): Promise<string> {
  bundle ??= (async () => {
    // Evaluated here, not at import: `npm start` bundles the harness as an ES module, where __dirname does not exist.
    const projectDir = resolve(__dirname, '..', '..');
    const result = await build({
      entryPoints: [join(__dirname, 'host-process.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs', // the harness loads the engine with require(), after setting NODE_ENV (engine.ts)
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    // Inside node_modules, so the bundle's bare imports resolve from the project's node_modules.
    const dir = join(projectDir, 'node_modules', '.cache', 'apps-engine-harness-host');
    const file = join(dir, `host-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
    if (!existsSync(file)) {
      await mkdir(dir, { recursive: true });
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temp, code);
      await rename(temp, file); // atomic: a concurrent worker never runs a half-written bundle
    }
    return file;
  })();
  bundle.catch(() => (bundle = undefined)); // a failed build (a syntax error mid-edit) is retried next time
  return bundle;
}

class ChildHost implements HarnessHost {
  private readonly calls = new Map<number, { method: string; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextCall = 1;
  private exited = false;
  private stopping: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  readonly pid: number;
  baseUrl = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly store: SharedPersistence,
    private readonly output: () => string,
  ) {
    this.pid = child.pid ?? -1;
    child.on('message', (message: FromChild) => this.onMessage(message));
    // A send racing the child's exit fails with an 'error' event, which would throw if nobody listened;
    // the exit itself rejects whatever was waiting.
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.unsubscribe?.();
      const error = new Error(`Host ${name} (pid ${this.pid}) exited (code ${code}, signal ${signal})${this.outputTail()}`);
      for (const call of this.calls.values()) {
        call.reject(error);
      }
      this.calls.clear();
    });
  }

  private outputTail(): string {
    const text = this.output().trim();
    return text ? `\n--- host ${this.name} output ---\n${text}` : '';
  }

  private send(message: ToChild): void {
    if (!this.exited && this.child.connected) {
      this.child.send(message);
    }
  }

  private onMessage(message: FromChild): void {
    if (message.type === 'answer') {
      const call = this.calls.get(message.id);
      this.calls.delete(message.id);
      if (message.ok) {
        call?.resolve(message.value);
      } else {
        call?.reject(new Error(`Host ${this.name}: ${call?.method ?? 'call'}: ${message.error}`));
      }
    } else if (message.type === 'store') {
      void this.answerStore(message.id, message.request);
    }
  }

  /** Applies one of the child's store requests here and answers it. */
  private async answerStore(id: number, request: StoreRequest): Promise<void> {
    try {
      let value: unknown;
      if (request.kind === 'persist') {
        value = await this.store.apply(this.name, request.op, request.args as never);
      } else if (request.kind === 'settingsOf') {
        value = await this.store.settingsOf(request.appId);
      } else if (request.kind === 'publishSetting') {
        this.store.publish(this.name, request.appId, request.setting);
      } else {
        value = await this.store.saveSetting(request.appId, request.settingId, request.value);
      }
      this.send({ type: 'store-answer', id, ok: true, value });
    } catch (error) {
      this.send({ type: 'store-answer', id, ok: false, error: errorText(error) });
    }
  }

  private call<T>(method: HostMethod, ...args: unknown[]): Promise<T> {
    return this.request(method, (id) => ({ type: 'call', id, method, args }));
  }

  private request<T>(what: string, message: (id: number) => ToChild): Promise<T> {
    if (this.exited || !this.child.connected) {
      return Promise.reject(new Error(`Host ${this.name}: ${what}: the host process is not running${this.outputTail()}`));
    }
    const id = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { method: what, resolve: resolve as (value: unknown) => void, reject });
      this.send(message(id));
    });
  }

  /** Receives the other instances' setting changes from the store, for the child to apply (once it is ready). */
  subscribe(): void {
    this.unsubscribe = this.store.subscribe(this.name, (appId, setting) =>
      this.request<void>(`relayed setting ${setting.id}`, (id) => ({ type: 'relay', id, appId, setting })),
    );
  }

  publicUrl(appId: string, path: string): string {
    return `${this.baseUrl}/api/apps/public/${appId}/${path.replace(/^\/+/, '')}`;
  }

  addUser = (...args: Parameters<HarnessHost['addUser']>) => this.call<void>('addUser', ...args);
  addRoom = (...args: Parameters<HarnessHost['addRoom']>) => this.call<void>('addRoom', ...args);
  installZip = (zipPath: string) => this.call<{ appId: string }>('installZip', zipPath);
  setSetting = (appId: string, settingId: string, value: unknown) => this.call<void>('setSetting', appId, settingId, value);
  getSetting = (appId: string, settingId: string) => this.call<unknown>('getSetting', appId, settingId);
  settingsSettled = () => this.call<void>('settingsSettled');
  routeOrigin = (origin: string, target?: string) => this.call<void>('routeOrigin', origin, target);
  runCommand = (input: CommandInput) => this.call<Awaited<ReturnType<HarnessHost['runCommand']>>>('runCommand', input);
  messages = () => this.call<Awaited<ReturnType<HarnessHost['messages']>>>('messages');
  clearMessages = () => this.call<void>('clearMessages');
  appLogs = (appId?: string) => this.call<Awaited<ReturnType<HarnessHost['appLogs']>>>('appLogs', appId);
  runtimeLogs = (appId?: string) => this.call<Awaited<ReturnType<HarnessHost['runtimeLogs']>>>('runtimeLogs', appId);
  appErrors = (appId?: string) => this.call<string[]>('appErrors', appId);
  appStatus = (appId: string) => this.call<string | undefined>('appStatus', appId);
  denoProcessId = (appId: string) => this.call<number | undefined>('denoProcessId', appId);
  waitForRuntimeReady = (appId: string, options?: { replacing?: number; timeoutMs?: number }) => this.call<number>('waitForRuntimeReady', appId, options);
  permissionChecksLive = () => this.call<boolean>('permissionChecksLive');

  /** Stops the child's engine, then waits for the process to exit (killing it after 20 s); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      let failure: unknown;
      this.unsubscribe?.(); // a stopping instance takes no more relayed changes
      if (!this.exited) {
        await this.call('stop').catch((error: unknown) => (failure = error));
      }
      await waitForExit(this.child, STOP_TIMEOUT_MS);
      // A failed stop is reported; a process that exited on its own after answering is not a failure.
      if (failure && !/exited \(code 0/.test(errorText(failure))) {
        throw failure;
      }
    })();
    return this.stopping;
  }

  /** Resolves once the child said it is ready (its engine started), or rejects with its output. */
  ready(options: ChildHostStartOptions, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolveReady, reject) => {
      const fail = (why: string) => {
        cleanup();
        this.child.kill('SIGKILL');
        reject(new Error(`Host ${this.name} did not start: ${why}${this.outputTail()}`));
      };
      const onMessage = (message: FromChild) => {
        if (message.type === 'ready') {
          cleanup();
          this.baseUrl = message.baseUrl;
          this.subscribe();
          resolveReady();
        } else if (message.type === 'start-failed') {
          fail(message.error);
        }
      };
      const onExit = (code: number | null, signal: string | null) => fail(`it exited (code ${code}, signal ${signal})`);
      const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.send({ type: 'start', options });
    });
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
}

/**
 * Starts a harness in a child process sharing `sharedStore`, and resolves once its engine is ready
 * (about a second: the bundle, Node, the engine). Call stop() when done: the child and its Deno
 * subprocesses exit before it resolves.
 */
export async function startChildHost(options: ChildHostOptions): Promise<HarnessHost> {
  const file = await hostBundle();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Loaders or inspector flags meant for this process (jest's, say) are not the child's.
  delete env.NODE_OPTIONS;
  const child = fork(file, [], { env, execArgv: [], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-OUTPUT_KEEP);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const name = options.name ?? 'B';
  const host = new ChildHost(name, child, options.sharedStore, () => output);
  try {
    await host.ready({ name, siteUrl: options.siteUrl, language: options.language, port: options.port }, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await waitForExit(child, 5000);
    throw error;
  }
  return host;
}
