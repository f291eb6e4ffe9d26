/**
 * The engine's own cost of a request, with no app work in it: a slash command that does nothing and
 * an endpoint that answers 200 with an empty body to GET and POST. The bench times them exactly as
 * it times the app's connect flow (the same harness calls, the same scripted browser) and subtracts
 * them from it. It never ships.
 */
import type { IConfigurationExtend } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, ApiSecurity, ApiVisibility, type IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { App } from '@rocket.chat/apps-engine/definition/App';
import type { ISlashCommand } from '@rocket.chat/apps-engine/definition/slashcommands';

class NoopCommand implements ISlashCommand {
  public command = 'engine-noop';
  public i18nParamsExample = '';
  public i18nDescription = 'Bench only: does nothing';
  public providesPreview = false;

  public async executor(): Promise<void> {
    // Nothing: what remains is the engine's dispatch to the app's process and back.
  }
}

class NoopEndpoint extends ApiEndpoint {
  public override path = 'noop';

  public async get(): Promise<IApiResponse> {
    return { status: 200 };
  }

  public async post(): Promise<IApiResponse> {
    return { status: 200 };
  }
}

export class EngineBaselineApp extends App {
  protected override async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    await configuration.slashCommands.provideSlashCommand(new NoopCommand());
    await configuration.api.provideApi({ visibility: ApiVisibility.PUBLIC, security: ApiSecurity.UNSECURE, endpoints: [new NoopEndpoint(this)] });
  }
}
