/** `/oauth status`: every enabled provider and this user's connection to it. */
import type { CommandScope } from '../src/rocketchat/command-scope';
import { expiryText, notGrantedText, storedConnection } from './shared';

export async function status(scope: CommandScope): Promise<void> {
  const { t, config } = scope;
  if (!config.providers.length) {
    await scope.reply({ sections: [t('help_no_providers')] });
    return;
  }
  const now = Date.now();
  const lines = await Promise.all(
    config.providers.map(async ({ definition }) => {
      const connection = await storedConnection(scope, definition.id);
      const provider = definition.displayName;
      if (connection === 'unreadable') return `• ${t('status_unreadable', { provider })}`;
      if (!connection) return `• ${t('status_not_connected', { provider })}`;
      const head = connection.accountName ? t('status_connected', { provider, account: connection.accountName }) : t('status_connected_unnamed', { provider });
      const details = [expiryText(t, connection.tokens, now), notGrantedText(t, definition, connection.tokens)].filter(Boolean).join('; ');
      return `• ${head} (${details})`;
    }),
  );
  await scope.reply({ sections: [[t('status_title'), ...lines].join('\n')] });
}
