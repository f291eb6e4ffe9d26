// Notifications the engine sends the host about apps: added/updated/removed, status changes,
// setting changes. Rocket.Chat relays them to its clients (bridges/activation.ts, bridges/details.ts);
// the harness has no clients (the status itself is read from the engine, AppsEngineHarness.appStatus).

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

export function createDetailChangesBridge(engine: Engine) {
  class HarnessDetailChangesBridge extends engine.bridges.AppDetailChangesBridge {
    protected onAppSettingsChange(): void {
      // the stored setting is already updated by AppSettingsManager; nothing to relay
    }
  }

  return new HarnessDetailChangesBridge();
}
