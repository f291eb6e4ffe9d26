/**
 * The core wired to the engine for one request. What must outlive a request lives here at module
 * level, which the Deno runtime keeps for the app's process: in-flight refreshes (single flight)
 * and discovered metadata.
 */
import type { IHttp, ILogger, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { OAuthConnector } from '../core/connector';
import { MetadataCache } from '../core/discovery';
import type { RefreshFlights } from '../core/getter';
import type { Logger } from '../core/redact';
import type { Configuration } from './configuration';
import { EngineHttpTransport } from './http-transport';
import { AssociationStateStore } from './pending-stores';
import { registryOf } from './provider-slots';
import { AssociationTokenStore } from './token-store';

const refreshFlights: RefreshFlights = new Map();
const metadata = new MetadataCache();

export function connectorFor(args: { config: Configuration; read: IRead; http: IHttp; persis: IPersistence; logger: ILogger }): OAuthConnector {
  const reader = args.read.getPersistenceReader();
  return new OAuthConnector({
    providers: registryOf(args.config),
    transport: new EngineHttpTransport(args.http),
    tokens: new AssociationTokenStore(reader, args.persis, args.logger),
    states: new AssociationStateStore(reader, args.persis),
    logger: engineLogger(args.logger),
    metadata,
    refreshFlights,
    endpointPolicy: args.config.endpointPolicy,
  });
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
