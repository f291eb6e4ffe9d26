/**
 * The engine's own cost of a request, with no app work in it: a slash command that does nothing, an
 * endpoint that answers 200 with an empty body to GET and POST, and one that makes a single HTTP GET
 * through the engine's HTTP bridge (the cost of the bridge itself, the provider's time taken out). The bench times them exactly as
 * it times the app's connect flow (the same harness calls, the same scripted browser) and subtracts
 * them from it. It never ships.
 */
import type { IConfigurationExtend, IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, ApiSecurity, ApiVisibility, type IApiEndpointInfo, type IApiRequest, type IApiResponse } from '@rocket.chat/apps-engine/definition/api';
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

/** GET ?url=…: one GET through the engine's HTTP bridge, nothing else. */
class HttpOnceEndpoint extends ApiEndpoint {
  public override path = 'http-once';

  public async get(
    request: IApiRequest,
    _endpoint: IApiEndpointInfo,
    _read: IRead,
    _modify: IModify,
    http: IHttp,
    _persis: IPersistence,
  ): Promise<IApiResponse> {
    const response = await http.get(String(request.query.url));
    return { status: response.statusCode === 200 ? 200 : 502 };
  }
}

export class EngineBaselineApp extends App {
  protected override async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    await configuration.slashCommands.provideSlashCommand(new NoopCommand());
    await configuration.api.provideApi({
      visibility: ApiVisibility.PUBLIC,
      security: ApiSecurity.UNSECURE,
      endpoints: [new NoopEndpoint(this), new HttpOnceEndpoint(this)],
    });
  }
}
