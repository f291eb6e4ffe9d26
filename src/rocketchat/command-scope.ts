/**
 * Everything one slash command run needs, gathered once at its start: the engine's accessors,
 * the request's logger (the engine stores only what a request's own logger writes), the user's
 * language, the configuration, and a way to answer.
 */
import type { IEnvironmentRead, IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';
import { loadConfiguration, type Configuration } from './configuration';
import { pickLanguage, translator, type Translate } from './i18n';
import { sendEphemeral, type Reply } from './replies';
import { AssociationTokenStore } from './token-store';

/** What the engine hands a command run; the scope adds the rest. */
export interface CommandRequest {
  appId: string;
  user: IUser;
  room: IRoom;
  read: IRead;
  modify: IModify;
  http: IHttp;
  persis: IPersistence;
  logger: ILogger;
}

export interface CommandScope extends CommandRequest {
  t: Translate;
  isAdmin: boolean;
  config: Configuration;
  tokens: AssociationTokenStore;
  reply(reply: Reply): Promise<void>;
}

export async function commandScope(args: CommandRequest): Promise<CommandScope> {
  const { read, user } = args;
  const environment = read.getEnvironmentReader();
  const [config, language] = await Promise.all([loadConfiguration(environment, args.appId), languageFor(environment, user)]);
  return {
    ...args,
    t: translator(language),
    isAdmin: (user.roles ?? []).includes('admin'),
    config,
    tokens: new AssociationTokenStore(read.getPersistenceReader(), args.persis, args.logger),
    reply: (reply) => sendEphemeral({ appId: args.appId, read, modify: args.modify, user, room: args.room, reply }),
  };
}

/** The user's language preference, else the server's Language setting, else English. */
export async function languageFor(environment: IEnvironmentRead, user?: IUser): Promise<string> {
  const preferred = user?.settings?.preferences?.language;
  if (preferred) return pickLanguage([preferred]);
  const server = await environment
    .getServerSettings()
    .getValueById('Language')
    .catch(() => undefined);
  return pickLanguage([typeof server === 'string' ? server : undefined]);
}
