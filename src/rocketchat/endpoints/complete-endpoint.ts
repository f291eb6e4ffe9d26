/**
 * `complete`: the provider's redirect target, the same for every provider. The core takes the
 * state (single use, unexpired, `iss` checked exactly, the browser's cookie matching the one that
 * started the flow), exchanges the code and stores the token; this endpoint shows the browser a page
 * and tells the user, ephemerally, in the room they asked from. Nothing is stored unless every step
 * succeeded. Refusals reach the app's log at a bounded rate (log-throttle.ts).
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { isOAuthError, type AuthorizationRequestRef, type OAuthErrorKind } from '../../core/errors';
import { redactValue } from '../../core/redact';
import { browserSecretOf } from '../browser-cookie';
import { languageFor } from '../command-scope';
import { COMPLETE_PATH, loadConfiguration, type Configuration } from '../configuration';
import { connectButton } from '../connect-link';
import { connectorFor } from '../connector';
import { messageForError } from '../error-replies';
import { translator, type Translate } from '../i18n';
import { LogThrottle } from '../log-throttle';
import { AssociationStateStore, connectLinks } from '../pending-stores';
import { sendEphemeral, type Reply } from '../replies';
import { answer, htmlPage, PAGE_HEADERS } from './html-page';
import { PublicEndpoint } from './public-endpoint';

/**
 * The HTTP status of each failure: the browser's request was bad or cannot succeed (4xx), or the
 * provider failed in answer to the app (502); a failure the provider relayed through the browser is
 * a 400 at most.
 */
const STATUS: Record<OAuthErrorKind, number> = {
  invalid_state: 400,
  access_denied: 200,
  sign_in_incomplete: 400,
  not_connected: 400,
  reconnect_required: 400,
  invalid_configuration: 400,
  provider_misconfigured: 502,
  provider_unavailable: 502,
  invalid_response: 502,
};

/** Refused callbacks are what a flood is made of: their log lines are rationed. */
const refusals = new LogThrottle();

export class CompleteEndpoint extends PublicEndpoint {
  override path = COMPLETE_PATH;

  async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse> {
    const logger = this.app.getLogger();
    const appId = this.app.getID();
    const config = await loadConfiguration(read.getEnvironmentReader(), appId);
    try {
      const { connection, pending } = await connectorFor({ config, read, http, persis, logger }).completeAuthorization(request.query ?? {}, {
        secret: browserSecretOf(request.headers),
      });
      // The link has done its job once a connection came of it: it and anything else it started are gone.
      const linkId = pending.context?.linkId;
      if (linkId) {
        const reader = read.getPersistenceReader();
        await Promise.all([connectLinks(reader, persis).take(linkId), new AssociationStateStore(reader, persis).cancelLink(linkId)]);
      }
      const { t, language } = await this.localeFor(read, pending.userId);
      const provider = displayName(config, connection.providerId);
      const notice = connection.accountName
        ? t('notice_connected', { provider, account: connection.accountName })
        : t('notice_connected_unnamed', { provider });
      await this.tell({ read, modify, ref: pending, reply: { sections: [notice] } });
      return htmlPage({ status: 200, tone: 'ok', title: t('page_title_success'), message: t('page_success', { provider }), hint: t('page_close'), language });
    } catch (error) {
      return this.failed({ error, config, read, modify, persis });
    }
  }

  /**
   * HEAD is a safe method (RFC 9110 §9.2.1): a link checker's HEAD must not spend the state a GET
   * would. It answers the headers of the page without reading the query.
   */
  override async head(): Promise<IApiResponse> {
    return answer({ status: 200, headers: PAGE_HEADERS, content: '' });
  }

  private async failed(args: { error: unknown; config: Configuration; read: IRead; modify: IModify; persis: IPersistence }): Promise<IApiResponse> {
    const { error, config, read } = args;
    const logger = this.app.getLogger();
    const ref = isOAuthError(error) ? error.request : undefined;
    const { t, language } = await this.localeFor(read, ref?.userId);
    const { key, expected, offerConnect } = messageForError(error);
    if (!expected) logger.error('OAuth callback failed unexpectedly', redactValue(error));
    else refusals.log((suffix) => logger.warn(`OAuth callback refused${suffix}`, redactValue(error)));
    const kind = isOAuthError(error) ? error.kind : undefined;
    const provider = ref ? displayName(config, ref.providerId) : '';

    if (ref) {
      const configured = config.providers.find((p) => p.definition.id === ref.providerId);
      const roomId = ref.context?.roomId;
      const button =
        configured && roomId && offerConnect
          ? await connectButton({ appId: this.app.getID(), config, read, persis: args.persis, userId: ref.userId, roomId, provider: configured, t })
          : undefined;
      await this.tell({ read, modify: args.modify, ref, reply: { sections: [t(key, { provider })], buttons: button ? [button] : [] } });
    }
    if (kind === 'access_denied') {
      return htmlPage({ status: 200, tone: 'no', title: t('page_title_denied'), message: t('page_denied', { provider }), hint: t('page_close'), language });
    }
    const message =
      isOAuthError(error, 'invalid_state') && error.reason === 'browser_mismatch'
        ? t('page_browser_mismatch', { provider })
        : kind === 'invalid_state'
          ? t('page_invalid_link')
          : t('page_failed', { reason: t(key, { provider: provider || '?' }) });
    // What came through the browser is the browser's request failing (4xx), whatever it claims.
    const status = !kind ? 500 : isOAuthError(error) && error.relayed ? Math.min(STATUS[kind], 400) : STATUS[kind];
    return htmlPage({ status, tone: 'err', title: t('page_title_error'), message, hint: t('page_close'), language });
  }

  /** The language of the user the callback concerns, when known; else the server's. */
  private async localeFor(read: IRead, userId: string | undefined): Promise<{ t: Translate; language: string }> {
    const user = userId
      ? await read
          .getUserReader()
          .getById(userId)
          .catch(() => undefined)
      : undefined;
    const language = await languageFor(read.getEnvironmentReader(), user);
    return { t: translator(language), language };
  }

  /** The ephemeral notice in the room where the user typed `/oauth connect`. */
  private async tell(args: { read: IRead; modify: IModify; ref: AuthorizationRequestRef; reply: Reply }): Promise<void> {
    const roomId = args.ref.context?.roomId;
    if (!roomId) return;
    const [user, room] = await Promise.all([args.read.getUserReader().getById(args.ref.userId), args.read.getRoomReader().getById(roomId)]);
    if (user && room) await sendEphemeral({ appId: this.app.getID(), read: args.read, modify: args.modify, user, room, reply: args.reply });
  }
}

function displayName(config: Configuration, providerId: string): string {
  return config.providers.find((p) => p.definition.id === providerId)?.definition.displayName ?? providerId;
}
