/**
 * `/oauth whoami [provider]`: the account as the provider reports it now, through the token service
 * (refreshed when needed, retried once after a 401): the path the app's other commands take.
 */
import type { CommandContext } from '../context';
import { providerNamed, replyWithError } from './shared';

export async function whoami(ctx: CommandContext, [name]: string[]): Promise<void> {
  const provider = await providerNamed(ctx, name);
  if (!provider) return;
  const { t, tokens } = ctx;
  const displayName = provider.definition.displayName;
  try {
    const profile = await tokens.profile(ctx.user.id, provider.definition.id);
    if (!profile) {
      // No profile endpoint: the name the provider gave when the user connected is all there is.
      const connection = await tokens.connection(ctx.user.id, provider.definition.id);
      await ctx.reply({ sections: [t('whoami_no_profile', { provider: displayName, account: connection.accountName ?? '?' })] });
      return;
    }
    await ctx.reply({
      sections: [profile.accountName ? t('whoami', { provider: displayName, account: profile.accountName }) : t('whoami_unnamed', { provider: displayName })],
    });
  } catch (error) {
    await replyWithError(ctx, provider, error);
  }
}
