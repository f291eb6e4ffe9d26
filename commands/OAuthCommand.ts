/**
 * The `/oauth` slash command on Rocket.Chat: the engine's command context mapped onto the app
 * layer's (src/rocketchat/app-context.ts); the subcommands are the app layer's (src/app/commands/).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { App } from '@rocket.chat/apps-engine/definition/App';
import type { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';
import { runOAuthCommand } from '../src/app/commands/router';
import { commandContext } from '../src/rocketchat/app-context';

export class OAuthCommand implements ISlashCommand {
  readonly command = 'oauth';
  readonly i18nParamsExample = 'command_params';
  readonly i18nDescription = 'command_description';
  readonly providesPreview = false;

  // The engine swaps `app.logger` for the running request's logger on objects that hold the
  // App (deno-runtime/lib/wrapAppForRequest.ts), so the logger is fetched per run from here.
  constructor(private readonly app: App) {}

  async executor(context: SlashCommandContext, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<void> {
    const ctx = await commandContext({
      appId: this.app.getID(),
      logger: this.app.getLogger(),
      user: context.getSender(),
      room: context.getRoom(),
      read,
      modify,
      http,
      persis,
    });
    await runOAuthCommand(ctx, context.getArguments());
  }
}
