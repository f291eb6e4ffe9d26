/**
 * The App class (app.json `classFile`): wires the settings, the `/oauth` command and, on every
 * settings change, a check of the provider slots whose problems go to the app's log; keeps the
 * token sealing key (generated at enable, retired rather than lost when replaced).
 */
import type {
  IAppAccessors,
  IConfigurationExtend,
  IConfigurationModify,
  IEnvironmentRead,
  IHttp,
  ILogger,
  IRead,
} from '@rocket.chat/apps-engine/definition/accessors';
import { ApiSecurity, ApiVisibility } from '@rocket.chat/apps-engine/definition/api';
import { App } from '@rocket.chat/apps-engine/definition/App';
import type { IAppInfo } from '@rocket.chat/apps-engine/definition/metadata';
import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { ISettingUpdateContext } from '@rocket.chat/apps-engine/definition/settings/ISettingUpdateContext';
import { OAuthCommand } from '../commands/OAuthCommand';
import { loadConfiguration } from './rocketchat/configuration';
import { CompleteEndpoint } from './rocketchat/endpoints/complete-endpoint';
import { ConnectEndpoint } from './rocketchat/endpoints/connect-endpoint';
import { languageFor } from './rocketchat/app-context';
import { translator } from './app/i18n';
import { ensureTokenKey, keyChange } from './rocketchat/sealing-keys';
import { settingDefinitions, TOKEN_KEY } from './rocketchat/settings';
import { settingsSnapshot } from './rocketchat/settings-snapshot';

export class OAuthApp extends App {
  constructor(info: IAppInfo, logger: ILogger, accessors: IAppAccessors) {
    super(info, logger, accessors);
  }

  protected override async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    // Each is a round trip to the server: sent together rather than one after the other.
    await Promise.all(settingDefinitions().map((setting) => configuration.settings.provideSetting(setting)));
    await configuration.slashCommands.provideSlashCommand(new OAuthCommand(this));
    await configuration.api.provideApi({
      visibility: ApiVisibility.PUBLIC,
      // The browser comes back from the provider without a Rocket.Chat session: the state, not a
      // login, says who it is.
      security: ApiSecurity.UNSECURE,
      endpoints: [new ConnectEndpoint(this), new CompleteEndpoint(this)],
    });
  }

  override async onEnable(environment: IEnvironmentRead, _configurationModify: IConfigurationModify): Promise<boolean> {
    await ensureTokenKey(environment, this.getAccessors().environmentWriter, this.getLogger());
    // Awaited: the runtime keeps only the log entries written before the request's answer. It costs one
    // parallel read of the settings, which the first command then finds in the snapshot.
    await this.logSlotProblems(environment);
    return true;
  }

  override async onPreSettingUpdate(context: ISettingUpdateContext, _configurationModify: IConfigurationModify, read: IRead, _http: IHttp): Promise<ISetting> {
    if (context.newSetting.id !== TOKEN_KEY) return context.newSetting;
    return keyChange(context, read.getEnvironmentReader(), this.getAccessors().environmentWriter, this.getLogger());
  }

  override async onSettingUpdated(_setting: ISetting, _configurationModify: IConfigurationModify, read: IRead, _http: IHttp): Promise<void> {
    settingsSnapshot.drop();
    await this.logSlotProblems(read.getEnvironmentReader());
  }

  /** Admins read the log in the administration UI: each skipped slot, which setting, what is wrong. */
  private async logSlotProblems(environment: IEnvironmentRead): Promise<void> {
    const config = await loadConfiguration(environment, this.getID());
    const t = translator(await languageFor(environment));
    for (const problem of config.problems) {
      this.getLogger().warn(t('problem_log', { slot: problem.slot, setting: problem.settingId, problem: t(problem.key, problem.params) }));
    }
  }
}
