/**
 * `/builtin-bench getter <n>`: `getAccessTokenForUser` for the user who typed it, n times in a loop
 * inside the app's process, timed there; answers the bench with the loop's figures.
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';

import { loopSize, replyFigures, timedLoop } from '../shared/bench-reply';
import type { BuiltinSampleApp } from './BuiltinSampleApp';

export class BuiltinBenchCommand implements ISlashCommand {
  public command = 'builtin-bench';
  public i18nParamsExample = 'getter <n>';
  public i18nDescription = 'Bench only: times the built-in getter';
  public providesPreview = false;

  constructor(private readonly app: BuiltinSampleApp) {}

  public async executor(context: SlashCommandContext, _read: IRead, modify: IModify, _http: IHttp, _persis: IPersistence): Promise<void> {
    const [subcommand, size] = context.getArguments();
    if (subcommand !== 'getter') {
      await replyFigures(context, modify, { ok: false, error: `unknown subcommand ${subcommand}` });
      return;
    }
    const user = context.getSender();
    // A call that finds no token counts as a failure: the bench must time reads that find one.
    const figures = await timedLoop(loopSize(size), async () => Boolean((await this.app.oauth2Client.getAccessTokenForUser(user))?.token));
    await replyFigures(context, modify, figures);
  }
}
