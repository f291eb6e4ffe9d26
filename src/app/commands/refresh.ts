/** `/oauth refresh [provider]`: renews the token now, through the same single-flight getter every caller uses. */
import { needsRefresh } from '../../core/tokens';
import type { CommandContext } from '../context';
import { expiryText, providerNamed, replyWithError } from './shared';

export async function refresh(ctx: CommandContext, [name]: string[]): Promise<void> {
  const provider = await providerNamed(ctx, name);
  if (!provider) return;
  const { t, tokens, clock } = ctx;
  const providerId = provider.definition.id;
  const providerName = provider.definition.displayName;
  try {
    const stored = await tokens.connection(ctx.user.id, providerId);
    // Without a refresh token there is nothing to renew: a token still valid is simply kept.
    if (!stored.tokens.refreshToken && !needsRefresh(stored.tokens, clock.now())) {
      await ctx.reply({ sections: [t('refresh_unavailable', { provider: providerName, expiry: expiryText(t, stored.tokens, clock.now()) })] });
      return;
    }
    const connection = await tokens.refresh(ctx.user.id, providerId);
    await ctx.reply({ sections: [t('refresh_done', { provider: providerName, expiry: expiryText(t, connection.tokens, clock.now()) })] });
  } catch (error) {
    await replyWithError(ctx, provider, error);
  }
}
