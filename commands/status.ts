/** `/oauth status`: every enabled provider and this user's connection to it. */
import { needsRefresh } from '../src/core/tokens';
import type { CommandScope } from '../src/rocketchat/command-scope';

export async function status(scope: CommandScope): Promise<void> {
  const { t, config, tokens, user } = scope;
  if (!config.providers.length) {
    await scope.reply({ sections: [t('help_no_providers')] });
    return;
  }
  const now = Date.now();
  const lines = await Promise.all(
    config.providers.map(async ({ definition }) => {
      const connection = await tokens.get(user.id, definition.id);
      const provider = definition.displayName;
      if (!connection) return `• ${t('status_not_connected', { provider })}`;
      const head = connection.accountName ? t('status_connected', { provider, account: connection.accountName }) : t('status_connected_unnamed', { provider });
      const { expiresAt, refreshToken } = connection.tokens;
      const expiry =
        expiresAt === undefined
          ? t('status_no_expiry')
          : !needsRefresh(connection.tokens, now, 0)
            ? t('status_expires_in', { minutes: Math.max(1, Math.round((expiresAt - now) / 60_000)) })
            : refreshToken
              ? t('status_expired_refreshable')
              : t('status_expired');
      return `• ${head} (${expiry})`;
    }),
  );
  await scope.reply({ sections: [[t('status_title'), ...lines].join('\n')] });
}
