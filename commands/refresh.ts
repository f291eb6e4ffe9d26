/** `/oauth refresh [provider]`: renews the token now, through the same single-flight getter every caller uses. */
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectorFor } from '../src/rocketchat/connector';
import { expiryText, providerNamed, replyWithError } from './shared';

export async function refresh(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  try {
    const connection = await connectorFor(scope).refresh(scope.user.id, provider.definition.id);
    await scope.reply({ sections: [scope.t('refresh_done', { provider: provider.definition.displayName, expiry: expiryText(scope.t, connection.tokens) })] });
  } catch (error) {
    await replyWithError(scope, provider, error);
  }
}
