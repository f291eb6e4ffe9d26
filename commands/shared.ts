/** What several subcommands share: finding the provider named, the Connect button, expiry words, error replies. */
import { isOAuthError } from '../src/core/errors';
import type { StoredConnection } from '../src/core/ports';
import type { ProviderDefinition } from '../src/core/provider';
import { missingScopes, needsRefresh, type TokenSet } from '../src/core/tokens';
import { redactValue } from '../src/core/redact';
import type { CommandScope } from '../src/rocketchat/command-scope';
import { connectButton } from '../src/rocketchat/connect-link';
import { messageForError } from '../src/rocketchat/error-replies';
import type { Translate } from '../src/rocketchat/i18n';
import type { ConfiguredProvider } from '../src/rocketchat/provider-slots';
import type { LinkButton } from '../src/rocketchat/replies';

/**
 * The provider a subcommand is about: the one named, or the only one enabled. Otherwise it
 * answers (which provider? / no such provider, with the list) and returns undefined.
 */
export async function providerNamed(scope: CommandScope, name: string | undefined): Promise<ConfiguredProvider | undefined> {
  const { providers } = scope.config;
  const list = providers.map((p) => `\`${p.definition.id}\``).join(', ');
  if (!providers.length) {
    await scope.reply({ sections: [scope.t('not_configured')] });
    return undefined;
  }
  if (!name) {
    if (providers.length === 1) return providers[0];
    await scope.reply({ sections: [scope.t('provider_required', { providers: list })] });
    return undefined;
  }
  const found = providers.find((p) => p.definition.id === name.toLowerCase());
  if (!found) await scope.reply({ sections: [scope.t('provider_unknown', { provider: name, providers: list })] });
  return found;
}

/** The Connect button for this user, in this room. */
export function connectButtonFor(scope: CommandScope, provider: ConfiguredProvider): Promise<LinkButton | undefined> {
  return connectButton({ ...scope, userId: scope.user.id, roomId: scope.room.id, provider });
}

export function expiryText(t: Translate, tokens: TokenSet, now = Date.now()): string {
  if (tokens.expiresAt === undefined) return t('status_no_expiry');
  if (!needsRefresh(tokens, now, 0)) {
    const minutes = Math.max(1, Math.round((tokens.expiresAt - now) / 60_000));
    return minutes === 1 ? t('status_expires_in_one') : t('status_expires_in', { minutes });
  }
  return tokens.refreshToken ? t('status_expired_refreshable') : t('status_expired');
}

/** "asked for but not granted: …", or undefined when the provider granted everything asked for. */
export function notGrantedText(t: Translate, definition: ProviderDefinition, tokens: TokenSet): string | undefined {
  const missing = missingScopes(tokens, definition.scopes);
  return missing.length ? t('scopes_not_granted', { scopes: missing.join(' ') }) : undefined;
}

/** The stored connection, undefined when there is none, or 'unreadable' for a record this version cannot read. */
export async function storedConnection(scope: CommandScope, providerId: string): Promise<StoredConnection | undefined | 'unreadable'> {
  try {
    return await scope.tokens.get(scope.user.id, providerId);
  } catch (error) {
    if (isOAuthError(error, 'reconnect_required')) return 'unreadable';
    throw error;
  }
}

/**
 * Answers a failure in words the user can act on, with a Connect button where connecting
 * helps. Expected failures are logged as warnings with their (redacted) reason; anything else is
 * an error in the app's log, never in the chat.
 */
export async function replyWithError(scope: CommandScope, provider: ConfiguredProvider, error: unknown): Promise<void> {
  const { key, offerConnect, expected } = messageForError(error);
  // Not being connected is the user's state, not a fault; an unreadable record was reported once already.
  const quiet = isOAuthError(error, 'not_connected') || (isOAuthError(error, 'reconnect_required') && error.reason === 'unreadable_record');
  if (quiet) scope.logger.debug(`/oauth for ${provider.definition.id}: ${error instanceof Error ? error.message : ''}`);
  else if (expected) scope.logger.warn(`/oauth for ${provider.definition.id} failed`, redactValue(error));
  else scope.logger.error(`/oauth for ${provider.definition.id} failed unexpectedly`, redactValue(error));
  const button = offerConnect ? await connectButtonFor(scope, provider) : undefined;
  await scope.reply({ sections: [scope.t(key, { provider: provider.definition.displayName })], buttons: button ? [button] : [] });
}
