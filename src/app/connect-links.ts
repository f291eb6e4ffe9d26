/**
 * The Connect button: a link to the app's `connect` endpoint carrying a random link id bound to the
 * user, the provider and the room for 10 minutes. Opening it shows who is being connected to what;
 * the state is made only when that page's button is pressed, one at a time per link.
 *
 * The stores are the platform's (Rocket.Chat: association records); the rules are here: how long a
 * link lives, how many a user holds, and that a replaced link's pending authorization is cancelled.
 */
import { randomToken } from '../core/authorize';
import type { Clock, StateStore } from '../core/ports';
import type { AppConfig, ConfiguredProvider } from './config';
import type { Person } from './context';
import type { Translate } from './i18n';
import type { LinkButton } from './reply';

export const CONNECT_LINK_TTL_MS = 10 * 60 * 1000;
/** Live Connect links a user may hold per provider: a few, for a user with several chat windows. */
export const MAX_LINKS_PER_PROVIDER = 3;

export interface ConnectLink {
  userId: string;
  providerId: string;
  /** Where the user asked: the room the outcome is told in. */
  roomId: string;
  expiresAt: number;
  /** SHA-256 of the flow cookie of the first browser that pressed Continue: the link is that browser's now. */
  browserBinding?: string;
  /**
   * The chat user as the page names them and the language it speaks, as known when the link was
   * made: the page and its button then read no user (a round trip on a runtime, a REST call to the
   * chat server). Absent on a link made without them (by an earlier version): the user is read.
   */
  person?: Person;
}

/** Connect links by id, at most MAX_LINKS_PER_PROVIDER live ones per user and provider. */
export interface ConnectLinkStore {
  /** Stores a new link, removing the user's oldest ones for this provider beyond the limit; answers the ids removed. */
  create(linkId: string, link: ConnectLink): Promise<string[]>;
  /**
   * Binds the link to the browser that pressed Continue first; answers whether this browser holds it
   * now (false when another browser's claim came first, or the link is gone).
   */
  claim(linkId: string, link: ConnectLink, browserBinding: string): Promise<boolean>;
  peek(linkId: string): Promise<ConnectLink | undefined>;
  take(linkId: string): Promise<ConnectLink | undefined>;
}

/** The core's pending authorizations, grouped by the link that started them (context.linkId): one per link. */
export interface LinkedStateStore extends StateStore {
  /** Cancels whatever a link still has pending (it was replaced, or its flow completed). */
  cancelLink(linkId: string): Promise<void>;
}

export interface ConnectLinkPorts {
  config: AppConfig;
  links: ConnectLinkStore;
  states: LinkedStateStore;
  clock: Clock;
}

/** The Connect button for this user in this room; undefined when the app has no public address to send a browser to. */
export async function connectButton(
  ports: ConnectLinkPorts,
  args: { userId: string; roomId: string; provider: ConfiguredProvider; t: Translate; person?: Person },
): Promise<LinkButton | undefined> {
  const { connectUrl, redirectUri } = ports.config;
  if (!connectUrl || !redirectUri) return undefined;
  const linkId = randomToken(32);
  const replaced = await ports.links.create(linkId, {
    userId: args.userId,
    providerId: args.provider.definition.id,
    roomId: args.roomId,
    expiresAt: ports.clock.now() + CONNECT_LINK_TTL_MS,
    ...(args.person ? { person: { displayName: args.person.displayName, language: args.person.language } } : {}),
  });
  // A link replaced by a newer one starts nothing more, and what it started is cancelled.
  await Promise.all(replaced.map((id) => ports.states.cancelLink(id)));
  return {
    label: args.t('connect_button', { provider: args.provider.definition.displayName }),
    url: `${connectUrl}?link=${linkId}`,
    actionId: 'oauth-connect',
    style: 'primary',
  };
}
