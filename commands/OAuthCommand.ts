/**
 * `/oauth <subcommand> [provider]`: parses the arguments and hands over to one handler per
 * subcommand. An unknown subcommand gets the help, never an error.
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { App } from '@rocket.chat/apps-engine/definition/App';
import type { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';
import { commandScope, type CommandScope } from '../src/rocketchat/command-scope';
import { connect } from './connect';
import { help } from './help';
import { refresh } from './refresh';
import { revoke } from './revoke';
import { status } from './status';
import { token } from './token';
import { whoami } from './whoami';

type Handler = (scope: CommandScope, args: string[]) => Promise<void>;

/** A Map, not an object: `constructor` or `__proto__` typed as a subcommand must find nothing. */
const HANDLERS = new Map<string, Handler>([
  ['connect', connect],
  ['token', token],
  ['refresh', refresh],
  ['revoke', revoke],
  ['status', (scope) => status(scope)],
  ['whoami', whoami],
  ['help', (scope) => help(scope)],
]);

export class OAuthCommand implements ISlashCommand {
  readonly command = 'oauth';
  readonly i18nParamsExample = 'command_params';
  readonly i18nDescription = 'command_description';
  readonly providesPreview = false;

  // The engine swaps `app.logger` for the running request's logger on objects that hold the
  // App (deno-runtime/lib/wrapAppForRequest.ts), so the logger is fetched per run from here.
  constructor(private readonly app: App) {}

  async executor(context: SlashCommandContext, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<void> {
    const scope = await commandScope({
      appId: this.app.getID(),
      logger: this.app.getLogger(),
      user: context.getSender(),
      room: context.getRoom(),
      read,
      modify,
      http,
      persis,
    });
    const [first, ...rest] = context.getArguments();
    const subcommand = (first ?? 'help').toLowerCase();
    const handler = HANDLERS.get(subcommand);
    if (!handler) {
      await help(scope, first);
      return;
    }
    await handler(scope, rest);
  }
}
