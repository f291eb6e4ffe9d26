/** `/oauth revoke [provider]`: revokes at the provider (RFC 7009) and forgets the tokens here whatever it answers. */
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectorFor } from '../src/rocketchat/connector';
import { providerNamed, replyWithError } from './shared';

export async function revoke(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  const displayName = provider.definition.displayName;
  try {
    const result = await connectorFor(scope).disconnect(scope.user.id, provider.definition.id);
    const { t } = scope;
    if (result.summary === 'revoked') {
      await scope.reply({ sections: [t('revoke_done', { provider: displayName })] });
    } else if (result.summary === 'not_supported') {
      const page = provider.definition.appAccessPage;
      await scope.reply({
        sections: [page ? t('revoke_not_supported_at', { provider: displayName, url: page }) : t('revoke_not_supported', { provider: displayName })],
      });
    } else if (result.summary === 'unreadable') {
      await scope.reply({ sections: [t('revoke_unreadable', { provider: displayName })] });
    } else {
      const reason = result.outcomes.flatMap((o) => (o.result === 'failed' ? [o.reason] : [])).join('; ') || '?';
      scope.logger.warn(`Revocation at ${provider.definition.id} was not confirmed: ${reason}`);
      await scope.reply({ sections: [t('revoke_partial', { provider: displayName, reason })] });
    }
  } catch (error) {
    await replyWithError(scope, provider, error);
  }
}
