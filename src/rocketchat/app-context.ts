/**
 * The engine's accessors mapped onto the app layer's context (src/app/context.ts): the stores on
 * association records, HTTP through IHttp, people and their languages from the user reader,
 * notices as ephemeral UI Kit messages, and the settings read once per request.
 *
 * What must outlive a request lives at module level, which the Deno runtime keeps for the app's
 * process: discovered metadata and refreshes in flight.
 */
import type { IEnvironmentRead, IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';
import { systemClock } from '../core/ports';
import type { Logger } from '../core/redact';
import { RegisterLease } from '../core/register-lease';
import { SealedLinkedStateStore, SealedTokenStore } from '../core/sealed-stores';
import type { KeyRing } from '../core/sealing';
import type { LinkedStateStore } from '../app/connect-links';
import { appRequest, processShared, type AppRequest, type CommandContext, type CorePorts, type People, type PlatformPorts } from '../app/context';
import { pickLanguage, translator } from '../app/i18n';
import type { TokenService } from '../app/token-service';
import { loadConfiguration } from './configuration';
import { settingsSnapshot } from './settings-snapshot';
import { EngineHttpTransport } from './http-transport';
import { AssociationLeaseRegister } from './lease-register';
import { AssociationStateStore, ConnectLinks } from './pending-stores';
import { appUserOf, directRoomWith, postMessage, sendEphemeral } from './replies';
import { AssociationTokenStore } from './token-store';

const shared = processShared();

/** What the engine hands a command run or an endpoint call. */
export interface EngineRequest {
  appId: string;
  read: IRead;
  http: IHttp;
  persis: IPersistence;
  /** The request's own logger: the engine keeps only what it writes. */
  logger: ILogger;
}

/** An endpoint call: the app layer's request on the engine. */
export async function engineAppRequest(request: EngineRequest & { modify: IModify }): Promise<AppRequest> {
  const config = await loadConfiguration(request.read.getEnvironmentReader(), request.appId);
  return appRequest(config, platformPorts(request, config.keyRing), shared);
}

/** A `/oauth` run: the request, who typed it and in which room, their language, and an ephemeral answer. */
export async function commandContext(request: EngineRequest & { modify: IModify; user: IUser; room: IRoom }): Promise<CommandContext> {
  const { read, user, room } = request;
  const [app, language] = await Promise.all([engineAppRequest(request), languageFor(read.getEnvironmentReader(), user)]);
  const { connector: _connector, ...rest } = app;
  return {
    ...rest,
    user: { id: user.id, displayName: nameOf(user), language, isAdmin: (user.roles ?? []).includes('admin') },
    roomId: room.id,
    t: translator(language),
    reply: (reply) => sendEphemeral({ appId: request.appId, read, modify: request.modify, user, room, reply }),
  };
}

/**
 * The token service for the app's other commands and endpoints (see README). It needs IModify: a
 * user whose connection it finds ended is told so in a direct message.
 */
export async function tokenServiceFor(request: EngineRequest & { modify: IModify }): Promise<TokenService> {
  return (await engineAppRequest(request)).tokens;
}

/** Unreadable sealed records reported by this process: once each, not once per request. */
const reportedRecords = new Set<string>();

function corePorts({ read, http, persis, logger }: EngineRequest, ring: KeyRing | undefined): CorePorts & { states: LinkedStateStore } {
  const reader = read.getPersistenceReader();
  // Tokens and verifiers reach the database only sealed (src/core/sealed-stores.ts).
  const sealing = { ring, logger, reported: reportedRecords };
  return {
    transport: new EngineHttpTransport(http),
    tokens: new SealedTokenStore(new AssociationTokenStore(reader, persis, logger), sealing),
    states: new SealedLinkedStateStore(new AssociationStateStore(reader, persis), sealing),
    // Server instances sharing one database refresh a grant once: a rotating refresh token sent
    // twice kills the grant (RFC 9700 §4.14.2).
    lease: new RegisterLease(new AssociationLeaseRegister(reader, persis), { clock: systemClock }),
    logger: engineLogger(logger),
  };
}

function platformPorts(request: EngineRequest & { modify: IModify }, ring: KeyRing | undefined): PlatformPorts {
  const { read, modify, appId } = request;
  // A request asks for the same user more than once (the page's language, then the notice): one read.
  const users = new Map<string, Promise<IUser | undefined>>();
  const userById = (userId: string) => {
    if (!users.has(userId)) users.set(userId, read.getUserReader().getById(userId));
    return users.get(userId)!;
  };
  return {
    ...corePorts(request, ring),
    links: new ConnectLinks(read.getPersistenceReader(), request.persis),
    people: people(read, userById),
    notifier: {
      async tell(userId, roomId, reply) {
        const [user, room] = await Promise.all([userById(userId), read.getRoomReader().getById(roomId)]);
        if (user && room) await sendEphemeral({ appId, read, modify, user, room, reply });
      },
      directRoom: (userId) => directRoomWith(read, modify, userId),
      async post(roomId, reply) {
        const [appUser, room] = await Promise.all([appUserOf(read), read.getRoomReader().getById(roomId)]);
        if (appUser && room) await postMessage({ appId, modify, sender: appUser, room, reply });
      },
    },
  };
}

function people(read: IRead, userById: (userId: string) => Promise<IUser | undefined>): People {
  const environment = read.getEnvironmentReader();
  return {
    async find(userId) {
      const user = await userById(userId);
      return user ? { displayName: nameOf(user), language: await languageFor(environment, user) } : undefined;
    },
    defaultLanguage: () => languageFor(environment),
  };
}

/** `Ada Lovelace (@ada)`, or `@ada` where the name is the username. */
function nameOf(user: IUser): string {
  return user.name && user.name !== user.username ? `${user.name} (@${user.username})` : `@${user.username}`;
}

/** The user's language preference, else the server's Language setting, else English. */
export async function languageFor(environment: IEnvironmentRead, user?: IUser): Promise<string> {
  const preferred = user?.settings?.preferences?.language;
  if (preferred) return pickLanguage([preferred]);
  const server = await settingsSnapshot.serverValues(environment).catch(() => undefined);
  return pickLanguage([server?.language]);
}

/** The core logs through this (after its own redaction) into the request's engine logger. */
function engineLogger(logger: ILogger): Logger {
  return {
    debug: (message, ...args) => logger.debug(message, ...args),
    info: (message, ...args) => logger.info(message, ...args),
    warn: (message, ...args) => logger.warn(message, ...args),
    error: (message, ...args) => logger.error(message, ...args),
  };
}
