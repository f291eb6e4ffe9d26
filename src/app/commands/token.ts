/** `/oauth token [provider]`: what the stored token is, without ever showing it: account, scopes, expiry, last four characters and length. */
import { maskToken } from '../../core/tokens';
import type { CommandContext } from '../context';
import { expiryText, notGrantedText, providerNamed, replyWithError } from './shared';

export async function token(ctx: CommandContext, [name]: string[]): Promise<void> {
  const provider = await providerNamed(ctx, name);
  if (!provider) return;
  const { t } = ctx;
  let connection;
  try {
    connection = await ctx.tokens.connection(ctx.user.id, provider.definition.id);
  } catch (error) {
    await replyWithError(ctx, provider, error);
    return;
  }
  const { last4, length } = maskToken(connection.tokens.accessToken);
  await ctx.reply({
    sections: [
      t('token_details', {
        provider: provider.definition.displayName,
        account: connection.accountName ?? '?',
        last4,
        length,
        scopes: connection.tokens.scopes.join(' ') || t('token_no_scopes'),
        expiry: expiryText(t, connection.tokens, ctx.clock.now()),
      }),
    ],
    note: notGrantedText(t, provider.definition, connection.tokens),
  });
}
