// Assembles the AppBridges the AppManager talks to (server/bridges/AppBridges.d.ts). The ones a
// slash command / public endpoint / settings / persistence / outbound HTTP app needs are real
// in-memory implementations; every other bridge is an unsupportedBridge() that fails with a clear error.

import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { AppBridges, IListenerBridge } from '@rocket.chat/apps-engine/server/bridges';

import type { Engine } from '../engine';
import type { PersistenceBackend } from '../persistence-table';
import type { World } from '../world';
import { ApiRoutes, createApiBridge } from './api';
import { createCommandBridge, type RegisteredCommand } from './commands';
import { createHttpBridge } from './http';
import { createInternalBridge, createInternalFederationBridge } from './internal';
import { createActivationBridge, createDetailChangesBridge } from './lifecycle';
import { createMessageBridge } from './messages';
import { createPersistenceBridge } from './persistence';
import { createRoomBridge } from './rooms';
import { createServerSettingBridge } from './server-settings';
import { unsupported, unsupportedBridge } from './unsupported';
import { createUserBridge } from './users';

export { ApiRoutes, type ApiRoute } from './api';
export type { RegisteredCommand } from './commands';
export { signingKeyPair } from './internal';

/** Host-side tables the bridges fill and the harness reads. */
export interface BridgeTables {
  routes: ApiRoutes;
  commands: Map<string, RegisteredCommand>;
}

export interface BridgeOptions {
  /** Where the apps' records are: the world's own table, or a store shared between harnesses. */
  persistence: PersistenceBackend;
  /** Every app setting change this instance made (createDetailChangesBridge). */
  onSettingsChange?: (appId: string, setting: ISetting) => void;
}

export function createBridges(engine: Engine, world: World, options: BridgeOptions): { bridges: AppBridges; tables: BridgeTables } {
  const b = engine.bridges;
  const tables: BridgeTables = { routes: new ApiRoutes(), commands: new Map() };

  const provided = {
    api: createApiBridge(engine, tables.routes),
    command: createCommandBridge(engine, tables.commands),
    activation: createActivationBridge(engine),
    details: createDetailChangesBridge(engine, options.onSettingsChange),
    http: createHttpBridge(engine, world),
    message: createMessageBridge(engine, world),
    persistence: createPersistenceBridge(engine, options.persistence),
    room: createRoomBridge(engine, world),
    serverSetting: createServerSettingBridge(engine, world),
    user: createUserBridge(engine, world),
    internal: createInternalBridge(world),
    federation: createInternalFederationBridge(),
    // The host calls the listener bridge, not the engine; nothing here emits events into apps.
    listener: {
      messageEvent: () => unsupported('ListenerBridge', 'messageEvent'),
      roomEvent: () => unsupported('ListenerBridge', 'roomEvent'),
      uiKitInteractionEvent: () => unsupported('ListenerBridge', 'uiKitInteractionEvent'),
    } satisfies IListenerBridge,
  };
  const missing = {
    contact: unsupportedBridge(b.ContactBridge, 'ContactBridge'),
    environment: unsupportedBridge(b.EnvironmentalVariableBridge, 'EnvironmentalVariableBridge'),
    livechat: unsupportedBridge(b.LivechatBridge, 'LivechatBridge'),
    upload: unsupportedBridge(b.UploadBridge, 'UploadBridge'),
    email: unsupportedBridge(b.EmailBridge, 'EmailBridge'),
    uiInteraction: unsupportedBridge(b.UiInteractionBridge, 'UiInteractionBridge'),
    scheduler: unsupportedBridge(b.SchedulerBridge, 'SchedulerBridge'),
    cloud: unsupportedBridge(b.CloudWorkspaceBridge, 'CloudWorkspaceBridge'),
    videoConference: unsupportedBridge(b.VideoConferenceBridge, 'VideoConferenceBridge'),
    oauthApps: unsupportedBridge(engine.OAuthAppsBridge, 'OAuthAppsBridge'),
    moderation: unsupportedBridge(b.ModerationBridge, 'ModerationBridge'),
    thread: unsupportedBridge(engine.ThreadBridge, 'ThreadBridge'),
    role: unsupportedBridge(b.RoleBridge, 'RoleBridge'),
    outboundMessage: unsupportedBridge(b.OutboundMessageBridge, 'OutboundMessageBridge'),
    experimental: unsupportedBridge(b.ExperimentalBridge, 'ExperimentalBridge'),
  };

  class HarnessBridges extends b.AppBridges {
    getCommandBridge() {
      return provided.command;
    }

    getContactBridge() {
      return missing.contact;
    }

    getApiBridge() {
      return provided.api;
    }

    getAppDetailChangesBridge() {
      return provided.details;
    }

    getEnvironmentalVariableBridge() {
      return missing.environment;
    }

    getHttpBridge() {
      return provided.http;
    }

    getListenerBridge() {
      return provided.listener;
    }

    getLivechatBridge() {
      return missing.livechat;
    }

    getMessageBridge() {
      return provided.message;
    }

    getPersistenceBridge() {
      return provided.persistence;
    }

    getAppActivationBridge() {
      return provided.activation;
    }

    getRoomBridge() {
      return provided.room;
    }

    getInternalBridge() {
      return provided.internal;
    }

    getInternalFederationBridge() {
      return provided.federation;
    }

    getServerSettingBridge() {
      return provided.serverSetting;
    }

    getUploadBridge() {
      return missing.upload;
    }

    getEmailBridge() {
      return missing.email;
    }

    getUserBridge() {
      return provided.user;
    }

    getUiInteractionBridge() {
      return missing.uiInteraction;
    }

    getSchedulerBridge() {
      return missing.scheduler;
    }

    getCloudWorkspaceBridge() {
      return missing.cloud;
    }

    getVideoConferenceBridge() {
      return missing.videoConference;
    }

    getOAuthAppsBridge() {
      return missing.oauthApps;
    }

    getModerationBridge() {
      return missing.moderation;
    }

    getThreadBridge() {
      return missing.thread;
    }

    getRoleBridge() {
      return missing.role;
    }

    getOutboundMessageBridge() {
      return missing.outboundMessage;
    }

    getExperimentalBridge() {
      return missing.experimental;
    }
  }

  return { bridges: new HarnessBridges(), tables };
}
