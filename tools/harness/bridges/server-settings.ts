// Server settings (Site_Url, Language, …) as apps see them: readable, never writable here — the harness
// sets them from its options. Reading an unknown setting fails as in Rocket.Chat
// (apps/meteor/app/apps/server/bridges/settings.ts: `The setting "<id>" is not readable.`).

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';

import type { Engine } from '../engine';
import type { World } from '../world';

export function createServerSettingBridge(engine: Engine, world: World) {
  class HarnessServerSettingBridge extends engine.bridges.ServerSettingBridge {
    protected async getAll(): Promise<ISetting[]> {
      return [...world.serverSettings.values()].map((setting) => structuredClone(setting));
    }

    protected async getOneById(id: string): Promise<ISetting> {
      const setting = world.serverSettings.get(id);
      if (!setting) {
        throw new Error(`The setting "${id}" is not readable.`);
      }
      return structuredClone(setting);
    }

    protected async isReadableById(id: string): Promise<boolean> {
      return world.serverSettings.has(id);
    }

    protected async hideGroup(): Promise<void> {
      throw new Error('Method not implemented.');
    }

    protected async hideSetting(): Promise<void> {
      throw new Error('Method not implemented.');
    }

    protected async updateOne(setting: ISetting): Promise<void> {
      throw new Error(`The server setting "${setting.id}" is read-only in the AppsEngineHarness.`);
    }

    protected async incrementValue(id: string): Promise<void> {
      throw new Error(`The server setting "${id}" is read-only in the AppsEngineHarness.`);
    }
  }

  return new HarnessServerSettingBridge();
}
