/**
 * The two kinds of short-lived records the connect flow keeps:
 *  - pending authorizations, by state (the core's StateStore): user, provider, PKCE verifier, room;
 *  - connect links, by link id: what the chat button points at. A link is not spent by a visit, so
 *    a link prefetcher's GET cannot burn it; every visit starts a fresh authorization instead.
 */
import type { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { z } from 'zod';
import type { PendingAuthorization, StateStore } from '../core/ports';
import { ExpiringRecords } from './expiring-records';

const pendingSchema = z.object({
  state: z.string(),
  userId: z.string(),
  providerId: z.string(),
  codeVerifier: z.string().optional(),
  redirectUri: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.number(),
  context: z.record(z.string(), z.string()).optional(),
});

export class AssociationStateStore implements StateStore {
  private readonly records: ExpiringRecords<PendingAuthorization>;

  constructor(reader: IPersistenceRead, writer: IPersistence) {
    this.records = new ExpiringRecords('oauth-state', pendingSchema, reader, writer);
  }

  put(pending: PendingAuthorization): Promise<void> {
    return this.records.put(pending.state, pending);
  }

  take(state: string): Promise<PendingAuthorization | undefined> {
    return this.records.take(state);
  }
}

export const CONNECT_LINK_TTL_MS = 10 * 60 * 1000;

const linkSchema = z.object({ userId: z.string(), providerId: z.string(), roomId: z.string(), expiresAt: z.number() });
export type ConnectLink = z.infer<typeof linkSchema>;

export function connectLinks(reader: IPersistenceRead, writer: IPersistence): ExpiringRecords<ConnectLink> {
  return new ExpiringRecords('oauth-link', linkSchema, reader, writer);
}
