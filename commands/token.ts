/** `/oauth token [provider]`: what the stored token is, without ever showing it: account, scopes, expiry, last four characters and length. */
import { OAuthError } from '../src/core/errors';
import { maskToken } from '../src/core/tokens';
import type { CommandScope } from '../src/rocketchat/command-scope';
import { expiryText, notGrantedText, providerNamed, replyWithError, storedConnection } from './shared';

export async function token(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  const { t } = scope;
  const connection = await storedConnection(scope, provider.definition.id);
  if (connection === 'unreadable') {
    await replyWithError(
      scope,
      provider,
      new OAuthError('reconnect_required', 'unreadable record', { providerId: provider.definition.id, reason: 'unreadable_record' }),
    );
    return;
  }
  if (!connection) {
    await replyWithError(scope, provider, new OAuthError('not_connected', 'not connected', { providerId: provider.definition.id }));
    return;
  }
  const { last4, length } = maskToken(connection.tokens.accessToken);
  await scope.reply({
    sections: [
      t('token_details', {
        provider: provider.definition.displayName,
        account: connection.accountName ?? '?',
        last4,
        length,
        scopes: connection.tokens.scopes.join(' ') || t('token_no_scopes'),
        expiry: expiryText(t, connection.tokens),
      }),
    ],
    note: notGrantedText(t, provider.definition, connection.tokens),
  });
}
