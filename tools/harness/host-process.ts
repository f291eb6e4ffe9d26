// The entry of a child host (started by child-host.ts, never by hand): an AppsEngineHarness in its own
// Node process, since AppManager is a process-wide singleton, whose apps persist to the parent's
// SharedPersistence over the IPC channel. It answers the parent's calls (host-protocol.ts) until told
// to stop, or until the channel closes (the parent exited or was killed): then it stops its engine,
// Deno subprocesses included, and exits.

import { AppsEngineHarness } from './harness';
import { inProcessHost, type HarnessHost } from './host';
import { cloneable, errorText, type FromChild, type Outcome, type StoreRequest, type ToChild } from './host-protocol';
import type { SettingListener, SharedStoreLink } from './shared-persistence';

if (!process.send) {
  process.stderr.write('host-process: start it with startChildHost() (tools/harness/child-host.ts): it needs an IPC channel.\n');
  process.exit(2);
}

const send = (message: FromChild, then?: () => void): void => {
  if (process.connected) {
    process.send?.(message, undefined, {}, () => then?.());
  } else {
    then?.();
  }
};

// The store is the parent's: each operation is one request, answered once the parent applied it.
const storeCalls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextStoreCall = 1;

function askStore(request: StoreRequest): Promise<unknown> {
  if (!process.connected) {
    return Promise.reject(new Error('The shared store is out of reach: the parent process is gone.'));
  }
  const id = nextStoreCall++;
  return new Promise((resolve, reject) => {
    storeCalls.set(id, { resolve, reject });
    send({ type: 'store', id, request });
  });
}

// Setting changes of the other instances, relayed by the parent: applied by the harness's relay.
let settingListener: SettingListener | undefined;

const storeLink: SharedStoreLink = {
  persist: (op, args) => askStore({ kind: 'persist', op, args }) as never,
  settingsOf: (appId) => askStore({ kind: 'settingsOf', appId }) as Promise<Array<[string, unknown]>>,
  saveSetting: async (appId, settingId, value) => {
    await askStore({ kind: 'saveSetting', appId, settingId, value });
  },
  // A broadcast: nobody waits for it (the parent's answer only says it was handed on).
  publishSetting: (appId, setting) => {
    askStore({ kind: 'publishSetting', appId, setting }).catch((error: unknown) => process.stderr.write(`host-process: ${errorText(error)}\n`));
  },
  subscribeSettings: (apply) => {
    settingListener = apply;
    return () => {
      settingListener = undefined;
    };
  },
};

let harness: AppsEngineHarness | undefined;
let host: HarnessHost | undefined;
let stopping: Promise<void> | undefined;

/** Stops the engine once, then exits (after `answer` reached the parent, when given). */
function shutdown(answer?: (error?: unknown) => void): Promise<void> {
  stopping ??= (async () => {
    let failure: unknown;
    try {
      await harness?.stop();
    } catch (error) {
      failure = error;
    }
    for (const pending of storeCalls.values()) {
      pending.reject(new Error('The host is stopping.'));
    }
    if (answer) {
      answer(failure);
    } else {
      process.exit(failure ? 1 : 0);
    }
  })();
  return stopping;
}

function answerCall(id: number, outcome: Outcome, then?: () => void): void {
  send({ type: 'answer', id, ...outcome }, then);
}

async function onMessage(message: ToChild): Promise<void> {
  switch (message.type) {
    case 'start': {
      try {
        harness = await AppsEngineHarness.start({ ...message.options, sharedStore: storeLink });
        host = inProcessHost(harness, message.options.name);
        send({ type: 'ready', baseUrl: harness.baseUrl });
      } catch (error) {
        send({ type: 'start-failed', error: errorText(error, true) }, () => process.exit(1));
      }
      return;
    }
    case 'relay': {
      try {
        await settingListener?.(message.appId, message.setting);
        answerCall(message.id, { ok: true, value: undefined });
      } catch (error) {
        answerCall(message.id, { ok: false, error: errorText(error) });
      }
      return;
    }
    case 'store-answer': {
      const pending = storeCalls.get(message.id);
      storeCalls.delete(message.id);
      if (message.ok) {
        pending?.resolve(message.value);
      } else {
        pending?.reject(new Error(message.error));
      }
      return;
    }
    case 'call': {
      const { id, method, args } = message;
      if (method === 'stop') {
        await shutdown((error) =>
          answerCall(id, error ? { ok: false, error: errorText(error) } : { ok: true, value: undefined }, () => process.exit(error ? 1 : 0)),
        );
        return;
      }
      try {
        if (!host || stopping) {
          throw new Error(host ? 'The host is stopping.' : 'The host has not started.');
        }
        const value = await (host[method] as (...a: unknown[]) => unknown)(...args);
        answerCall(id, { ok: true, value: cloneable(value) });
      } catch (error) {
        answerCall(id, { ok: false, error: errorText(error) });
      }
      return;
    }
  }
}

process.on('message', (message: ToChild) => {
  void onMessage(message);
});
// The parent exited or was killed: nothing may keep running on its behalf.
process.on('disconnect', () => {
  void shutdown();
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void shutdown();
  });
}
