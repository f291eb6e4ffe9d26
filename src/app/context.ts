/**
 * What the app works on, defined here so that any chat platform can supply it: the platform's ports
 * (the core's stores and transport, plus people, a notifier and the Connect links), a settings
 * snapshot, and for a command, who typed it and where. `appRequest` wires the core once per
 * request; what must outlive a request (discovered metadata, refreshes in flight) is the process's.
 */
import { OAuthConnector, type ProviderRegistry } from '../core/connector';
import type { StoredConnection } from '../core/ports';
import { MetadataCache } from '../core/discovery';
import type { RefreshFlights } from '../core/getter';
import { systemClock, type Clock, type HttpTransport, type Lease, type TokenStore } from '../core/ports';
import { redactValue, type Logger } from '../core/redact';
import { configuredProvider, displayNameOf, type AppConfig } from './config';
import type { ConnectLinkStore, LinkedStateStore } from './connect-links';
import { connectButton } from './connect-links';
import { translator, type Translate } from './i18n';
import type { Reply } from './reply';
import { TokenService } from './token-service';

/** A chat user as the app's pages and notices name them. */
export interface Person {
  /** How the platform shows them, e.g. `Ada Lovelace (@ada)`. */
  displayName: string;
  /** Their language preference, else the server's language. */
  language: string;
}

export interface People {
  find(userId: string): Promise<Person | undefined>;
  /** The server's language: for a visitor the app cannot name. */
  defaultLanguage(): Promise<string>;
}

export interface Notifier {
  /** A reply only this user sees, in this room (or channel), now: it is not kept for later. */
  tell(userId: string, roomId: string, reply: Reply): Promise<void>;
  /** The direct conversation between the app and this user (created when there is none); undefined when the platform cannot open one. */
  directRoom(userId: string): Promise<string | undefined>;
  /** A message from the app, kept in the room like any other: the user reads it when they come back. */
  post(roomId: string, reply: Reply): Promise<void>;
}

/** What a platform supplies, per request or for good. */
export interface PlatformPorts {
  transport: HttpTransport;
  tokens: TokenStore;
  states: LinkedStateStore;
  links: ConnectLinkStore;
  /** Across server instances; the core's process-local lease when absent. */
  lease?: Lease;
  clock?: Clock;
  logger: Logger;
  people: People;
  notifier: Notifier;
  /**
   * Runs work after the request's answer (a notice that may follow a page). By default it starts on
   * the next turn of the event loop, once the answer has been handed over (on Rocket.Chat's runtime,
   * work started at once sent its calls down the same pipe ahead of the answer, and delayed it), and
   * runs on detached, its failure logged; a platform whose log closes with the answer (Rocket.Chat's
   * runtime keeps only what was logged before it) loses that line, never the work.
   */
  afterAnswer?: (work: () => Promise<void>) => void;
}

/** What one process keeps for all its requests: each issuer discovered once, each refresh made once. */
export interface ProcessShared {
  metadata: MetadataCache;
  refreshFlights: RefreshFlights;
}

export function processShared(): ProcessShared {
  return { metadata: new MetadataCache(), refreshFlights: new Map() };
}

/** One request's view of the app. The connector is for the connect flows; tokens go through `tokens`. */
export interface AppRequest {
  config: AppConfig;
  connector: OAuthConnector;
  tokens: TokenService;
  links: ConnectLinkStore;
  states: LinkedStateStore;
  people: People;
  notifier: Notifier;
  logger: Logger;
  clock: Clock;
  /** Work that follows the answer (PlatformPorts.afterAnswer). */
  afterAnswer(work: () => Promise<void>): void;
}

/** The core's own ports: all the token service needs (an app's other commands have no notifier to give). */
export type CorePorts = Pick<PlatformPorts, 'transport' | 'tokens' | 'states' | 'lease' | 'clock' | 'logger'>;

/** The core wired to a platform's ports and this request's configuration, and the token service over it. */
export function oauthCore(
  config: AppConfig,
  ports: CorePorts,
  shared: ProcessShared,
  onConnectionLost?: (connection: StoredConnection) => Promise<void>,
): { connector: OAuthConnector; tokens: TokenService; clock: Clock } {
  const clock = ports.clock ?? systemClock;
  const connector = new OAuthConnector({
    providers: registryOf(config),
    transport: ports.transport,
    tokens: ports.tokens,
    states: ports.states,
    lease: ports.lease,
    clock,
    logger: ports.logger,
    metadata: shared.metadata,
    refreshFlights: shared.refreshFlights,
    endpointPolicy: config.endpointPolicy,
    onConnectionLost,
  });
  return { connector, tokens: new TokenService(connector), clock };
}

export function appRequest(config: AppConfig, ports: PlatformPorts, shared: ProcessShared): AppRequest {
  const app: AppRequest = {
    config,
    ...oauthCore(config, ports, shared, (connection) => tellConnectionLost(app, connection)),
    links: ports.links,
    states: ports.states,
    people: ports.people,
    notifier: ports.notifier,
    logger: ports.logger,
    afterAnswer:
      ports.afterAnswer ??
      ((work) => {
        setTimeout(() => void work().catch((error: unknown) => ports.logger.warn('Work after an answer failed', redactValue(error))), 0);
      }),
  };
  return app;
}

/**
 * The provider ended a user's grant (found by whichever command or job tried to use it): one
 * message in their direct conversation with the app, kept for when they come back, with a Connect
 * button. The core calls this once, when the record turns lost.
 */
async function tellConnectionLost(app: AppRequest, connection: StoredConnection): Promise<void> {
  const provider = configuredProvider(app.config, connection.providerId);
  const roomId = await app.notifier.directRoom(connection.userId);
  if (!provider || !roomId) return;
  const person = await app.people.find(connection.userId);
  const t = translator(person?.language ?? (await app.people.defaultLanguage()));
  const button = await connectButton(app, { userId: connection.userId, roomId, provider, t, person });
  await app.notifier.post(roomId, {
    sections: [t('lost_notice', { provider: displayNameOf(app.config, connection.providerId) })],
    buttons: button ? [button] : [],
  });
}

/** The core's view of the configured providers. */
function registryOf(config: AppConfig): ProviderRegistry {
  return {
    get: async (providerId) => {
      const found = configuredProvider(config, providerId);
      return found && { definition: found.definition, client: found.client };
    },
  };
}

/** Who typed a command. */
export interface ChatUser {
  id: string;
  displayName: string;
  language: string;
  /** Workspace admins also read the setup to do in `/oauth help`. */
  isAdmin: boolean;
}

/**
 * A command run: the request without the connector (a command reaches tokens only through the token
 * service), who typed it, where, their words, and how to answer them.
 */
export interface CommandContext extends Omit<AppRequest, 'connector'> {
  user: ChatUser;
  roomId: string;
  t: Translate;
  reply(reply: Reply): Promise<void>;
}
