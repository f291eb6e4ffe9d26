// Loads @rocket.chat/apps-engine's server side on demand, never at import time.
//
// Why lazily: the engine switches every permission check off when NODE_ENV is 'test'
// (server/managers/AppPermissionManager.js, hasPermission), and jest sets NODE_ENV=test. A missing
// permission would then pass unseen. NODE_ENV is read on every check, so it must stay off 'test' for as
// long as the engine runs; loading the engine only from AppsEngineHarness.start() keeps the two together.

import type * as AppManagerModule from '@rocket.chat/apps-engine/server/AppManager';
import type * as AppStatusModule from '@rocket.chat/apps-engine/definition/AppStatus';
import type * as BridgesModule from '@rocket.chat/apps-engine/server/bridges';
import type * as OAuthAppsBridgeModule from '@rocket.chat/apps-engine/server/bridges/OAuthAppsBridge';
import type * as ThreadBridgeModule from '@rocket.chat/apps-engine/server/bridges/ThreadBridge';
import type * as PermissionManagerModule from '@rocket.chat/apps-engine/server/managers/AppPermissionManager';
import type * as PermissionsModule from '@rocket.chat/apps-engine/server/permissions/AppPermissions';
import type * as SlashCommandContextModule from '@rocket.chat/apps-engine/definition/slashcommands/SlashCommandContext';
import type * as StorageModule from '@rocket.chat/apps-engine/server/storage';
import type * as DenoRuntimeModule from '@rocket.chat/apps-engine/server/runtime/deno/AppsEngineDenoRuntime';

export interface Engine {
  AppManager: typeof AppManagerModule.AppManager;
  AppStatus: typeof AppStatusModule.AppStatus;
  AppStatusUtils: typeof AppStatusModule.AppStatusUtils;
  bridges: typeof BridgesModule;
  /** Two bridge classes server/bridges/index.js does not re-export. */
  OAuthAppsBridge: typeof OAuthAppsBridgeModule.OAuthAppsBridge;
  ThreadBridge: typeof ThreadBridgeModule.ThreadBridge;
  storage: typeof StorageModule;
  SlashCommandContext: typeof SlashCommandContextModule.SlashCommandContext;
  AppPermissionManager: typeof PermissionManagerModule.AppPermissionManager;
  AppPermissions: typeof PermissionsModule.AppPermissions;
  /** What runs each app's Deno subprocess; round-trips.ts counts the messages it handles. */
  DenoRuntimeSubprocessController: typeof DenoRuntimeModule.DenoRuntimeSubprocessController;
}

/** The value the harness gives NODE_ENV when it finds 'test'. */
export const HARNESS_NODE_ENV = 'development';

/**
 * Takes NODE_ENV off 'test' (the engine's permission switch) and returns the value to restore later.
 * Any other value, unset included, already keeps the checks on and is left alone.
 */
export function keepPermissionChecksOn(): string | undefined {
  const previous = process.env.NODE_ENV;
  if (previous === 'test') {
    process.env.NODE_ENV = HARNESS_NODE_ENV;
  }
  return previous;
}

let engine: Engine | undefined;

export function loadEngine(): Engine {
  if (process.env.NODE_ENV === 'test') {
    throw new Error('Refusing to load the Apps-Engine with NODE_ENV=test: it would skip every permission check.');
  }
  if (!engine) {
    const status = require('@rocket.chat/apps-engine/definition/AppStatus') as typeof AppStatusModule;
    engine = {
      AppManager: (require('@rocket.chat/apps-engine/server/AppManager') as typeof AppManagerModule).AppManager,
      AppStatus: status.AppStatus,
      AppStatusUtils: status.AppStatusUtils,
      bridges: require('@rocket.chat/apps-engine/server/bridges') as typeof BridgesModule,
      OAuthAppsBridge: (require('@rocket.chat/apps-engine/server/bridges/OAuthAppsBridge') as typeof OAuthAppsBridgeModule).OAuthAppsBridge,
      ThreadBridge: (require('@rocket.chat/apps-engine/server/bridges/ThreadBridge') as typeof ThreadBridgeModule).ThreadBridge,
      storage: require('@rocket.chat/apps-engine/server/storage') as typeof StorageModule,
      SlashCommandContext: (require('@rocket.chat/apps-engine/definition/slashcommands/SlashCommandContext') as typeof SlashCommandContextModule)
        .SlashCommandContext,
      AppPermissionManager: (require('@rocket.chat/apps-engine/server/managers/AppPermissionManager') as typeof PermissionManagerModule).AppPermissionManager,
      AppPermissions: (require('@rocket.chat/apps-engine/server/permissions/AppPermissions') as typeof PermissionsModule).AppPermissions,
      DenoRuntimeSubprocessController: (require('@rocket.chat/apps-engine/server/runtime/deno/AppsEngineDenoRuntime') as typeof DenoRuntimeModule)
        .DenoRuntimeSubprocessController,
    };
  }
  return engine;
}
