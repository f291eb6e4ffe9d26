/** `/oauth status`: every enabled provider and this user's connection to it. */
import type { CommandContext } from '../context';
import { expiryText, notGrantedText } from './shared';

export async function status(ctx: CommandContext): Promise<void> {
  const { t, config } = ctx;
  if (!config.providers.length) {
    await ctx.reply({ sections: [t('help_no_providers')] });
    return;
  }
  const now = ctx.clock.now();
  const lines = await Promise.all(
    config.providers.map(async ({ definition }) => {
      const state = await ctx.tokens.state(ctx.user.id, definition.id);
      const provider = definition.displayName;
      if (state.status === 'unreadable') return `• ${t('status_unreadable', { provider })}`;
      if (state.status === 'not_connected') return `• ${t('status_not_connected', { provider })}`;
      if (state.status === 'lost') return `• ${t('status_lost', { provider })}`;
      const { connection } = state;
      const head = connection.accountName ? t('status_connected', { provider, account: connection.accountName }) : t('status_connected_unnamed', { provider });
      const details = [expiryText(t, connection.tokens, now), notGrantedText(t, definition, connection.tokens)].filter(Boolean).join('; ');
      return `• ${head} (${details})`;
    }),
  );
  await ctx.reply({ sections: [[t('status_title'), ...lines].join('\n')] });
}
