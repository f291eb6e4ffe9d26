/** `/oauth connect [provider]`: a button to the provider's sign-in page, by way of the app's `connect` endpoint. */
import type { CommandContext } from '../context';
import { connectButtonFor, providerNamed } from './shared';

export async function connect(ctx: CommandContext, [name]: string[]): Promise<void> {
  const provider = await providerNamed(ctx, name);
  if (!provider) return;
  const { t } = ctx;
  const displayName = provider.definition.displayName;
  const [button, existing] = await Promise.all([connectButtonFor(ctx, provider), ctx.tokens.state(ctx.user.id, provider.definition.id)]);
  if (!button) {
    await ctx.reply({ sections: [t('connect_no_redirect')] });
    return;
  }
  await ctx.reply({
    sections: [t('connect_prompt', { provider: displayName })],
    note: existing.status === 'connected' ? t('connect_already', { provider: displayName, account: existing.connection.accountName ?? '?' }) : undefined,
    buttons: [button],
  });
}
