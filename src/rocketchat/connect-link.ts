/**
 * The Connect button: a link to the app's `connect` endpoint carrying a random link id bound to the
 * user, the provider and the room for 10 minutes. Opening it shows who is being connected to what;
 * the state is made only when that page's button is pressed, one at a time per link.
 */
import type { IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { randomToken } from '../core/authorize';
import { publicEndpointUrl, type Configuration } from './configuration';
import type { Translate } from './i18n';
import { AssociationStateStore, CONNECT_LINK_TTL_MS, connectLinks } from './pending-stores';
import type { ConfiguredProvider } from './provider-slots';
import type { LinkButton } from './replies';

export const CONNECT_PATH = 'connect';

export async function connectButton(args: {
  appId: string;
  config: Configuration;
  read: IRead;
  persis: IPersistence;
  userId: string;
  roomId: string;
  provider: ConfiguredProvider;
  t: Translate;
}): Promise<LinkButton | undefined> {
  const { config, provider } = args;
  if (!config.publicBase || !config.redirectUri) return undefined;
  const link = randomToken(32);
  const reader = args.read.getPersistenceReader();
  const replaced = await connectLinks(reader, args.persis).create(link, {
    userId: args.userId,
    providerId: provider.definition.id,
    roomId: args.roomId,
    expiresAt: Date.now() + CONNECT_LINK_TTL_MS,
  });
  // A link replaced by a newer one starts nothing more, and what it started is cancelled.
  if (replaced.length) {
    const states = new AssociationStateStore(reader, args.persis);
    await Promise.all(replaced.map((linkId) => states.cancelLink(linkId)));
  }
  return {
    label: args.t('connect_button', { provider: provider.definition.displayName }),
    url: `${publicEndpointUrl(config.publicBase, args.appId, CONNECT_PATH)}?link=${link}`,
    actionId: 'oauth-connect',
    style: 'primary',
  };
}
