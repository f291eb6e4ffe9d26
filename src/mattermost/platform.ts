/**
 * The app layer's platform ports on Mattermost: people from the REST API (name, locale, roles),
 * notices through the command's `response_url` or else a direct message from the bot, and the
 * stores from the service's database.
 */
import type { People, Notifier, Person } from '../app/context';
import { pickLanguage } from '../app/i18n';
import type { Reply } from '../app/reply';
import type { Logger } from '../core/redact';
import type { Clock } from '../core/ports';
import { postOf, commandResponseOf, type RenderOptions } from './render';
import type { MattermostApi } from './rest';
import type { MattermostUser } from './wire';

/** Mattermost keeps a command's response URL for 30 minutes (app/webhook.go, CommandWebhook expiry). */
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

/** The latest `response_url` of a user's command in a channel: the callback tells them there. */
export interface ResponseUrlStore {
  remember(userId: string, channelId: string, url: string, expiresAt: number): Promise<void>;
  /** The latest one not expired, if any. */
  latest(userId: string, channelId: string): Promise<string | undefined>;
}

export class MemoryResponseUrls implements ResponseUrlStore {
  private readonly urls = new Map<string, { url: string; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async remember(userId: string, channelId: string, url: string, expiresAt: number): Promise<void> {
    for (const [key, entry] of this.urls) if (entry.expiresAt <= this.clock.now()) this.urls.delete(key);
    this.urls.set(`${userId} ${channelId}`, { url, expiresAt });
  }

  async latest(userId: string, channelId: string): Promise<string | undefined> {
    const entry = this.urls.get(`${userId} ${channelId}`);
    return entry && entry.expiresAt > this.clock.now() ? entry.url : undefined;
  }
}

/** How Mattermost shows a user: `Ada Lovelace (@ada)`, else `@ada`. */
export function displayNameOf(user: MattermostUser): string {
  const full = [user.first_name, user.last_name].filter(Boolean).join(' ').trim() || user.nickname?.trim();
  return full ? `${full} (@${user.username})` : `@${user.username}`;
}

/** System admins (the `system_admin` role, model/role.go) read the setup in /oauth help. */
export function isSystemAdmin(user: MattermostUser): boolean {
  return (user.roles ?? '').split(/\s+/).includes('system_admin');
}

export function personOf(user: MattermostUser, defaultLanguage: string): Person {
  return { displayName: displayNameOf(user), language: pickLanguage([user.locale, defaultLanguage]) };
}

/** Users read once per request at most: the page's language and then the notice ask for the same user. */
export function peopleOf(api: MattermostApi, defaultLanguage: string): People & { user(userId: string): Promise<MattermostUser | undefined> } {
  const users = new Map<string, Promise<MattermostUser | undefined>>();
  const user = (userId: string) => {
    if (!users.has(userId)) users.set(userId, api.user(userId));
    return users.get(userId)!;
  };
  return {
    user,
    async find(userId) {
      const found = await user(userId);
      return found && personOf(found, defaultLanguage);
    },
    defaultLanguage: async () => defaultLanguage,
  };
}

export interface NotifierOptions {
  api: MattermostApi;
  responseUrls: ResponseUrlStore;
  botUserId: () => Promise<string>;
  render: Omit<RenderOptions, 'userId'>;
  logger: Logger;
}

export function notifierOf(options: NotifierOptions): Notifier {
  const { api, responseUrls, logger } = options;
  // The user each direct channel of this request is with: a post there carries buttons for them.
  const directOwners = new Map<string, string>();
  const directRoom = async (userId: string) => {
    const channelId = await api.directChannel(await options.botUserId(), userId);
    directOwners.set(channelId, userId);
    return channelId;
  };
  const post = async (channelId: string, reply: Reply, userId = directOwners.get(channelId)) => {
    // A post any member can see gets no buttons unless the channel is a direct one with its user.
    const shown = userId ? reply : { ...reply, buttons: [] };
    const { message, attachments } = postOf(shown, { ...options.render, userId: userId ?? '' });
    await api.createPost({ channel_id: channelId, message, ...(attachments.length ? { props: { attachments } } : {}) });
  };
  return {
    async tell(userId, channelId, reply) {
      const url = await responseUrls.latest(userId, channelId);
      if (url) {
        try {
          await api.respond(url, commandResponseOf([reply], { ...options.render, userId }));
          return;
        } catch (error) {
          // Expired early, or its five uses spent: the direct message below still reaches them.
          logger.warn('A response URL was refused; telling the user in a direct message instead', String(error));
        }
      }
      await post(await directRoom(userId), reply, userId);
    },
    directRoom,
    post: (channelId, reply) => post(channelId, reply),
  };
}
