/** `/oauth refresh [provider]`: renews the token now, through the same single-flight getter every caller uses. */
import { needsRefresh } from '../src/core/tokens';
import { OAuthError } from '../src/core/errors';
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectorFor } from '../src/rocketchat/connector';
import { expiryText, providerNamed, replyWithError, storedConnection } from './shared';

export async function refresh(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  const providerName = provider.definition.displayName;
  try {
    const stored = await storedConnection(scope, provider.definition.id);
    if (stored === 'unreadable')
      throw new OAuthError('reconnect_required', 'unreadable record', { providerId: provider.definition.id, reason: 'unreadable_record' });
    // Without a refresh token there is nothing to renew: a token still valid is simply kept.
    if (stored && !stored.tokens.refreshToken && !needsRefresh(stored.tokens, Date.now())) {
      await scope.reply({ sections: [scope.t('refresh_unavailable', { provider: providerName, expiry: expiryText(scope.t, stored.tokens) })] });
      return;
    }
    const connection = await connectorFor(scope).refresh(scope.user.id, provider.definition.id);
    await scope.reply({ sections: [scope.t('refresh_done', { provider: providerName, expiry: expiryText(scope.t, connection.tokens) })] });
  } catch (error) {
    await replyWithError(scope, provider, error);
  }
}
