/**
 * `/oauth-bench`, inside the app's process, as any other command of the app reaches tokens (the token
 * service of src/rocketchat/app-context.ts):
 *   getter <provider> <n>              one token service for the request, its getter n times in a loop, timed here;
 *   getter-per-request <provider> <n>  the same with a new token service for every call, as n commands would;
 *   get <provider>                     one token, answered as a fingerprint (the bench starts many at once).
 */
import { createHash } from 'node:crypto';

import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { App } from '@rocket.chat/apps-engine/definition/App';
import type { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';

import { tokenServiceFor } from '../../../src/rocketchat/app-context';
import { loopSize, replyFigures, timedLoop } from '../shared/bench-reply';

export class OurBenchCommand implements ISlashCommand {
  public command = 'oauth-bench';
  public i18nParamsExample = 'getter <provider> <n>';
  public i18nDescription = 'Bench only: times the token getter';
  public providesPreview = false;

  constructor(private readonly app: App) {}

  public async executor(context: SlashCommandContext, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<void> {
    const [subcommand, providerId, size] = context.getArguments();
    const userId = context.getSender().id;
    // The engine swaps the App's logger for the running request's: fetched per run (see OAuthCommand).
    const request = { appId: this.app.getID(), logger: this.app.getLogger(), read, modify, http, persis };
    const serviceForThisRequest = () => tokenServiceFor(request);

    if (subcommand === 'getter') {
      const tokens = await serviceForThisRequest();
      await replyFigures(context, modify, await timedLoop(loopSize(size), () => tokens.getAccessToken(userId, providerId)));
    } else if (subcommand === 'getter-per-request') {
      const figures = await timedLoop(loopSize(size), async () => (await serviceForThisRequest()).getAccessToken(userId, providerId));
      await replyFigures(context, modify, figures);
    } else if (subcommand === 'get') {
      try {
        const token = await (await serviceForThisRequest()).getAccessToken(userId, providerId);
        // Enough to tell tokens apart, nothing to use one with.
        await replyFigures(context, modify, { ok: true, fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 12) });
      } catch (error) {
        await replyFigures(context, modify, { ok: false, error: errorName(error) });
      }
    } else {
      await replyFigures(context, modify, { ok: false, error: `unknown subcommand ${subcommand}` });
    }
  }
}

/** An OAuthError's kind (never its details), else the error's message. */
function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'kind' in error) return String(error.kind);
  return error instanceof Error ? error.message : String(error);
}
