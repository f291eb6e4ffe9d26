/** `/oauth connect [provider]`: a button to the provider's sign-in page, by way of the app's `connect` endpoint. */
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectButtonFor, providerNamed, storedConnection } from './shared';

export async function connect(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  const { t } = scope;
  const displayName = provider.definition.displayName;
  const button = await connectButtonFor(scope, provider);
  if (!button) {
    await scope.reply({ sections: [t('connect_no_redirect')] });
    return;
  }
  const existing = await storedConnection(scope, provider.definition.id);
  await scope.reply({
    sections: [t('connect_prompt', { provider: displayName })],
    note: existing && existing !== 'unreadable' ? t('connect_already', { provider: displayName, account: existing.accountName ?? '?' }) : undefined,
    buttons: [button],
  });
}
