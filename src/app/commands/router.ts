/**
 * `/oauth <subcommand> [provider]`: one handler per subcommand. An unknown subcommand gets the help,
 * never an error. Platforms hand over the words typed after `/oauth`.
 */
import type { CommandContext } from '../context';
import { connect } from './connect';
import { help } from './help';
import { refresh } from './refresh';
import { revoke } from './revoke';
import { status } from './status';
import { token } from './token';
import { whoami } from './whoami';

type Handler = (ctx: CommandContext, args: string[]) => Promise<void>;

/** A Map, not an object: `constructor` or `__proto__` typed as a subcommand must find nothing. */
const HANDLERS = new Map<string, Handler>([
  ['connect', connect],
  ['token', token],
  ['refresh', refresh],
  ['revoke', revoke],
  ['status', (ctx) => status(ctx)],
  ['whoami', whoami],
  ['help', (ctx) => help(ctx)],
]);

export async function runOAuthCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [first, ...rest] = args;
  const handler = HANDLERS.get((first ?? 'help').toLowerCase());
  if (!handler) {
    await help(ctx, first);
    return;
  }
  await handler(ctx, rest);
}
