// App setting changes across the instances of a cluster, the way Rocket.Chat relays them
// (apps/meteor/ee/server/apps/communication/websockets.ts): the instance where a setting changed (an
// administrator's change, or the app's own through its setting updater) hears it from its
// AppDetailChangesBridge and broadcasts it (AppServerNotifier.appSettingsChange); every other
// instance's listener notes it as received and runs the engine's updateAppSetting with it
// (AppServerListener.onAppSettingUpdated), so the app's onPreSettingUpdate and onSettingUpdated run
// on that instance too; its own bridge then hears the change, finds it received, and does not send it
// back. Here the broadcast goes through the shared store (SharedStoreLink.publishSetting).
//
// And SettingUpdates: the engine's setting updater does not wait for the update it starts (the app's
// `updateValue` in server/accessors/SettingUpdater.js returns first), so a value an app writes at
// enable may still be on its way when the install resolves; settled() waits for every update in flight.

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { AppManager } from '@rocket.chat/apps-engine/server/AppManager';

import type { SharedStoreLink } from './shared-persistence';

/** Tracks the engine's updateAppSetting calls in flight (wraps the settings manager's method). */
export class SettingUpdates {
  private readonly inFlight = new Set<Promise<unknown>>();

  attach(manager: AppManager): void {
    const settings = manager.getSettingsManager();
    const update = settings.updateAppSetting.bind(settings);
    // The engine reaches the method through the same manager object (its setting updater, the relay).
    settings.updateAppSetting = (appId: string, setting: ISetting) => {
      const running = update(appId, setting);
      this.inFlight.add(running);
      const done = () => this.inFlight.delete(running);
      running.then(done, done);
      return running;
    };
  }

  /** Resolves once no setting update is in flight (updates those started meanwhile included). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }
}

export class SettingRelay {
  /** Changes received from other instances whose echo this instance's bridge has not heard yet, per app and setting. */
  private readonly received = new Map<string, Array<{ heard: boolean }>>();
  private unsubscribe?: () => void;

  constructor(private readonly link: SharedStoreLink) {}

  /** Starts receiving the other instances' changes. */
  attach(manager: AppManager): void {
    this.unsubscribe = this.link.subscribeSettings((appId, setting) => this.apply(manager, appId, setting));
  }

  detach(): void {
    this.unsubscribe?.();
  }

  /** The AppDetailChangesBridge's hook: a change made here goes to the others; a received one does not go back. */
  changed(appId: string, setting: ISetting): void {
    const pending = this.received.get(key(appId, setting.id));
    const echo = pending?.find((mark) => !mark.heard);
    if (echo) {
      echo.heard = true;
      return;
    }
    this.link.publishSetting(appId, setting);
  }

  private async apply(manager: AppManager, appId: string, setting: ISetting): Promise<void> {
    // Not installed here (yet): its install reads the values from the store.
    if (!manager.getOneById(appId)) {
      return;
    }
    const id = key(appId, setting.id);
    const mark = { heard: false };
    this.received.set(id, [...(this.received.get(id) ?? []), mark]);
    try {
      await manager.getSettingsManager().updateAppSetting(appId, setting);
    } finally {
      // Heard or not (the update failed before the bridge), this mark is done: it must not swallow a later local change.
      const left = (this.received.get(id) ?? []).filter((other) => other !== mark);
      if (left.length > 0) {
        this.received.set(id, left);
      } else {
        this.received.delete(id);
      }
    }
  }
}

const key = (appId: string, settingId: string) => `${appId}\u0000${settingId}`;
