/** `/oauth revoke [provider]`: revokes at the provider (RFC 7009) and forgets the tokens here whatever it answers. */
import type { CommandContext } from '../context';
import { providerNamed, replyWithError } from './shared';

export async function revoke(ctx: CommandContext, [name]: string[]): Promise<void> {
  const provider = await providerNamed(ctx, name);
  if (!provider) return;
  const { t } = ctx;
  const displayName = provider.definition.displayName;
  try {
    const result = await ctx.tokens.disconnect(ctx.user.id, provider.definition.id);
    if (result.summary === 'revoked') {
      await ctx.reply({ sections: [t('revoke_done', { provider: displayName })] });
    } else if (result.summary === 'not_supported') {
      const page = provider.definition.appAccessPage;
      await ctx.reply({
        sections: [page ? t('revoke_not_supported_at', { provider: displayName, url: page }) : t('revoke_not_supported', { provider: displayName })],
      });
    } else if (result.summary === 'already_ended') {
      await ctx.reply({ sections: [t('revoke_already_ended', { provider: displayName })] });
    } else if (result.summary === 'unreadable') {
      await ctx.reply({ sections: [t('revoke_unreadable', { provider: displayName })] });
    } else {
      const reason = result.outcomes.flatMap((o) => (o.result === 'failed' ? [o.reason] : [])).join('; ') || '?';
      ctx.logger.warn(`Revocation at ${provider.definition.id} was not confirmed: ${reason}`);
      await ctx.reply({ sections: [t('revoke_partial', { provider: displayName, reason })] });
    }
  } catch (error) {
    await replyWithError(ctx, provider, error);
  }
}
