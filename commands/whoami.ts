/**
 * `/oauth whoami [provider]`: the account as the provider reports it now, through the token service
 * (refreshed when needed, retried once after a 401): the path the app's other commands take.
 */
import { OAuthError } from '../src/core/errors';
import { buildProfileRequest, profileEndpoint, readProfileResponse } from '../src/core/profile';
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectorFor } from '../src/rocketchat/connector';
import { OAuthTokenService } from '../src/rocketchat/token-service';
import { providerNamed, replyWithError } from './shared';

export async function whoami(scope: CommandScope, [name]: string[]): Promise<void> {
  const provider = await providerNamed(scope, name);
  if (!provider) return;
  const displayName = provider.definition.displayName;
  try {
    const connector = connectorFor(scope);
    const { provider: resolved } = await connector.provider(provider.definition.id);
    if (!profileEndpoint(resolved)) {
      const connection = await connector.connection(scope.user.id, provider.definition.id);
      if (!connection) throw new OAuthError('not_connected', 'not connected', { providerId: provider.definition.id });
      await scope.reply({ sections: [scope.t('whoami_no_profile', { provider: displayName, account: connection.accountName ?? '?' })] });
      return;
    }
    // The same path the app's other commands take: the token service.
    const response = await new OAuthTokenService(connector).request(scope.user, provider.definition.id, buildProfileRequest(resolved));
    const profile = readProfileResponse(resolved, response);
    await scope.reply({
      sections: [
        profile.accountName ? scope.t('whoami', { provider: displayName, account: profile.accountName }) : scope.t('whoami_unnamed', { provider: displayName }),
      ],
    });
  } catch (error) {
    await replyWithError(scope, provider, error);
  }
}
