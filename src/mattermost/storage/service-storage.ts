/** What the Mattermost service keeps, whichever database keeps it: the ports the app layer already uses. */
import type { ConnectLinkStore, LinkedStateStore } from '../../app/connect-links';
import type { Lease, TokenStore } from '../../core/ports';
import type { ResponseUrlStore } from '../platform';

export interface ServiceStorage {
  /** Which database: for the start-up log line. */
  readonly kind: 'sqlite' | 'postgres';
  /** Connections (wrap in SealedTokenStore: this store keeps records as given). */
  readonly tokens: TokenStore;
  /** Pending authorizations, one per connect link (wrap in SealedLinkedStateStore). */
  readonly states: LinkedStateStore;
  readonly links: ConnectLinkStore;
  /** The refresh lease the token getter takes (src/core/getter.ts). */
  readonly lease: Lease;
  /** Each user's latest command response URL per channel: the callback's notice goes there. */
  readonly responseUrls: ResponseUrlStore;
  /** Closes the file or the pool; the stores fail after. */
  close(): Promise<void>;
}
