/**
 * `connect`: what the Connect button opens. The link id must be live (10 minutes); a visit does not
 * spend it, so a link prefetcher cannot burn it, and each visit starts a fresh authorization
 * (new state, new PKCE verifier) and redirects the browser to the provider.
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, type IApiEndpointInfo, type IApiRequest, type IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { z } from 'zod';
import { isOAuthError } from '../../core/errors';
import { redactValue } from '../../core/redact';
import { languageFor } from '../command-scope';
import { loadConfiguration } from '../configuration';
import { CONNECT_PATH } from '../connect-link';
import { connectorFor } from '../connector';
import { messageForError } from '../error-replies';
import { translator } from '../i18n';
import { toEngine } from '../engine-boundary';
import { connectLinks } from '../pending-stores';
import { htmlPage, PAGE_HEADERS } from './html-page';

/** 32 random bytes, base64url (randomToken). */
const querySchema = z.object({ link: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

export class ConnectEndpoint extends ApiEndpoint {
  override path = CONNECT_PATH;

  async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, _modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse> {
    const logger = this.app.getLogger();
    const parsed = querySchema.safeParse(request.query ?? {});
    const linkId = parsed.success ? parsed.data.link : undefined;
    const link = linkId ? await connectLinks(read.getPersistenceReader(), persis).peek(linkId) : undefined;
    const user = link ? await read.getUserReader().getById(link.userId).catch(() => undefined) : undefined;
    const language = await languageFor(read.getEnvironmentReader(), user);
    const t = translator(language);
    if (!link || !linkId) {
      return htmlPage({ status: 400, tone: 'err', title: t('page_title_error'), message: t('page_invalid_link'), hint: t('page_close'), language });
    }
    const config = await loadConfiguration(read.getEnvironmentReader(), this.app.getID());
    try {
      const start = await connectorFor({ config, read, http, persis, logger }).beginAuthorization(link.userId, link.providerId, {
        context: { roomId: link.roomId, linkId },
      });
      return toEngine({ status: 302, headers: { ...PAGE_HEADERS, location: start.url }, content: '' });
    } catch (error) {
      const { key, expected } = messageForError(error);
      if (expected) logger.warn('Could not start an authorization', redactValue(error));
      else logger.error('Could not start an authorization', redactValue(error));
      const provider = config.providers.find((p) => p.definition.id === link.providerId)?.definition.displayName ?? link.providerId;
      const status = isOAuthError(error) && error.kind === 'provider_unavailable' ? 502 : 400;
      return htmlPage({ status, tone: 'err', title: t('page_title_error'), message: t('page_failed', { reason: t(key, { provider }) }), hint: t('page_close'), language });
    }
  }
}
