// Notifications the engine sends the host about apps: added/updated/removed, status changes,
// setting changes. Rocket.Chat relays them to its clients (bridges/activation.ts, bridges/details.ts);
// the harness has no clients (the status itself is read from the engine, AppsEngineHarness.appStatus),
// but relays setting changes to the other instances of a cluster, as Rocket.Chat does.

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';

import type { Engine } from '../engine';

export function createActivationBridge(engine: Engine) {
  class HarnessActivationBridge extends engine.bridges.AppActivationBridge {
    protected async appAdded(): Promise<void> {
      // nothing to relay
    }

    protected async appUpdated(): Promise<void> {
      // nothing to relay
    }

    protected async appRemoved(): Promise<void> {
      // nothing to relay
    }

    protected async appStatusChanged(): Promise<void> {
      // nothing to relay
    }

    protected async actionsChanged(): Promise<void> {
      // nothing to relay
    }
  }

  return new HarnessActivationBridge();
}

/**
 * `onSettingsChange` hears every app setting change this instance made (the stored setting is already
 * updated by AppSettingsManager): Rocket.Chat's bridge hands it to its notifier, which broadcasts it to
 * the cluster's other instances (apps/meteor/ee/server/apps/communication/websockets.ts); a harness in
 * a cluster does the same through its shared store.
 */
export function createDetailChangesBridge(engine: Engine, onSettingsChange?: (appId: string, setting: ISetting) => void) {
  class HarnessDetailChangesBridge extends engine.bridges.AppDetailChangesBridge {
    protected onAppSettingsChange(appId: string, setting: ISetting): void {
      onSettingsChange?.(appId, setting);
    }
  }

  return new HarnessDetailChangesBridge();
}
