/** What several subcommands share: finding the provider named, the Connect button, expiry words, error replies. */
import { isOAuthError } from '../../core/errors';
import type { ProviderDefinition } from '../../core/provider';
import { redactValue } from '../../core/redact';
import { missingScopes, needsRefresh, type TokenSet } from '../../core/tokens';
import type { ConfiguredProvider } from '../config';
import { connectButton } from '../connect-links';
import type { CommandContext } from '../context';
import { messageForError } from '../error-words';
import type { Translate } from '../i18n';
import type { LinkButton } from '../reply';

/**
 * The provider a subcommand is about: the one named, or the only one enabled. Otherwise it
 * answers (which provider? / no such provider, with the list) and returns undefined.
 */
export async function providerNamed(ctx: CommandContext, name: string | undefined): Promise<ConfiguredProvider | undefined> {
  const { providers } = ctx.config;
  const list = providers.map((p) => `\`${p.definition.id}\``).join(', ');
  if (!providers.length) {
    await ctx.reply({ sections: [ctx.t('not_configured')] });
    return undefined;
  }
  if (!name) {
    if (providers.length === 1) return providers[0];
    await ctx.reply({ sections: [ctx.t('provider_required', { providers: list })] });
    return undefined;
  }
  const found = providers.find((p) => p.definition.id === name.toLowerCase());
  if (!found) await ctx.reply({ sections: [ctx.t('provider_unknown', { provider: name, providers: list })] });
  return found;
}

/** The Connect button for this user, in this room. */
export function connectButtonFor(ctx: CommandContext, provider: ConfiguredProvider): Promise<LinkButton | undefined> {
  return connectButton(ctx, { userId: ctx.user.id, roomId: ctx.roomId, provider, t: ctx.t, person: ctx.user });
}

export function expiryText(t: Translate, tokens: TokenSet, now: number): string {
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

/**
 * Answers a failure in words the user can act on, with a Connect button where connecting
 * helps. Expected failures are logged as warnings with their (redacted) reason; anything else is
 * an error in the app's log, never in the chat.
 */
export async function replyWithError(ctx: CommandContext, provider: ConfiguredProvider, error: unknown): Promise<void> {
  const { key, offerConnect, expected } = messageForError(error);
  // Not being connected is the user's state, not a fault; an unreadable record was reported once already.
  const quiet = isOAuthError(error, 'not_connected') || (isOAuthError(error, 'reconnect_required') && error.reason === 'unreadable_record');
  if (quiet) ctx.logger.debug(`/oauth for ${provider.definition.id}: ${error instanceof Error ? error.message : ''}`);
  else if (expected) ctx.logger.warn(`/oauth for ${provider.definition.id} failed`, redactValue(error));
  else ctx.logger.error(`/oauth for ${provider.definition.id} failed unexpectedly`, redactValue(error));
  const button = offerConnect ? await connectButtonFor(ctx, provider) : undefined;
  await ctx.reply({ sections: [ctx.t(key, { provider: provider.definition.displayName })], buttons: button ? [button] : [] });
}
