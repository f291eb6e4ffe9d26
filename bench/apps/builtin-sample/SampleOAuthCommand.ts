/**
 * `/sample-oauth token`: the built-in sample's equivalent of the app's `/oauth token`: the user's
 * token from `getAccessTokenForUser`, told to them in an ephemeral message (its last four
 * characters, scope and expiry, as `/oauth token` tells them; never the token).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';

import type { BuiltinSampleApp } from './BuiltinSampleApp';

export class SampleOAuthCommand implements ISlashCommand {
  public command = 'sample-oauth';
  public i18nParamsExample = 'token';
  public i18nDescription = 'The OAuth2 sample: your token';
  public providesPreview = false;

  constructor(private readonly app: BuiltinSampleApp) {}

  public async executor(context: SlashCommandContext, _read: IRead, modify: IModify, _http: IHttp, _persis: IPersistence): Promise<void> {
    const [subcommand] = context.getArguments();
    const user = context.getSender();
    let text = 'Usage: /sample-oauth token';
    if (subcommand === 'token') {
      const auth = await this.app.oauth2Client.getAccessTokenForUser(user);
      text = auth?.token
        ? `Your token: …${auth.token.slice(-4)} (${auth.token.length} characters), scope ${auth.scope}, expires in ${auth.expiresAt} s`
        : 'You are not connected: use /sample-oauth auth';
    }
    const notifier = modify.getNotifier();
    await notifier.notifyUser(user, notifier.getMessageBuilder().setRoom(context.getRoom()).setText(text).getMessage());
  }
}
