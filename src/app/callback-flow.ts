/**
 * The `complete` endpoint's behaviour: the provider's redirect target, the same for every provider.
 * The core takes the state (single use, unexpired, `iss` checked exactly, the browser's cookie
 * matching the one that started the flow), exchanges the code and stores the token; this shows the
 * browser a page and tells the user, in the room they asked from. Nothing is stored unless every
 * step succeeded. Refusals reach the log at a bounded rate (log-throttle.ts).
 */
import { isOAuthError, type AuthorizationRequestRef, type OAuthErrorKind } from '../core/errors';
import { redactValue } from '../core/redact';
import { configuredProvider, displayNameOf } from './config';
import { connectButton } from './connect-links';
import type { AppRequest, Person } from './context';
import { messageForError } from './error-words';
import { translator, type Translate } from './i18n';
import { LogThrottle } from './log-throttle';
import type { Reply } from './reply';
import { browserSecretOf } from './web/browser-cookie';
import { htmlPage } from './web/pages';
import type { WebAnswer, WebRequest } from './web/web';

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

export async function completeConnect(app: AppRequest, request: WebRequest): Promise<WebAnswer> {
  try {
    // Stored before the page says so; the account name is read after the page is answered (below).
    const { connection, pending } = await app.connector.completeAuthorization(
      request.query,
      { secret: browserSecretOf(request.headers) },
      { accountName: 'later' },
    );
    // The language the confirmation page spoke, carried by the state (a state an earlier version
    // made has none: then the user is read).
    const carried = pending.context?.language;
    const { t, language } = carried ? { t: translator(carried), language: carried } : await localeOf(app, pending.userId);
    const provider = displayNameOf(app.config, connection.providerId);
    // Nothing else the page needs: the browser is answered. Then the link, which has done its job,
    // goes with anything else it started (a link left by a failure here is this browser's alone,
    // and lives ten minutes at most), and the account name is read from the provider and recorded,
    // and the notice in the room names it. Each step is a round trip on a runtime.
    const linkId = pending.context?.linkId;
    app.afterAnswer(async () => {
      const [named] = await Promise.all([
        app.connector.nameAccount(connection),
        linkId ? Promise.all([app.links.take(linkId), app.states.cancelLink(linkId)]) : undefined,
      ]);
      const notice = named.accountName ? t('notice_connected', { provider, account: named.accountName }) : t('notice_connected_unnamed', { provider });
      await tell(app, pending, { sections: [notice] });
    });
    return htmlPage({ status: 200, tone: 'ok', title: t('page_title_success'), message: t('page_success', { provider }), hint: t('page_close'), language });
  } catch (error) {
    return failed(app, error);
  }
}

async function failed(app: AppRequest, error: unknown): Promise<WebAnswer> {
  const ref = isOAuthError(error) ? error.request : undefined;
  const { t, language, person } = await localeOf(app, ref?.userId);
  const { key, expected, offerConnect } = messageForError(error);
  if (!expected) app.logger.error('OAuth callback failed unexpectedly', redactValue(error));
  else refusals.log((suffix) => app.logger.warn(`OAuth callback refused${suffix}`, redactValue(error)));
  const kind = isOAuthError(error) ? error.kind : undefined;
  const provider = ref ? displayNameOf(app.config, ref.providerId) : '';

  if (ref) {
    const configured = configuredProvider(app.config, ref.providerId);
    const roomId = ref.context?.roomId;
    const button = configured && roomId && offerConnect ? await connectButton(app, { userId: ref.userId, roomId, provider: configured, t, person }) : undefined;
    await tell(app, ref, { sections: [t(key, { provider })], buttons: button ? [button] : [] });
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
async function localeOf(app: AppRequest, userId: string | undefined): Promise<{ t: Translate; language: string; person?: Person }> {
  const person = userId ? await app.people.find(userId).catch(() => undefined) : undefined;
  const language = person?.language ?? (await app.people.defaultLanguage());
  return { t: translator(language), language, person };
}

/** The notice in the room where the user typed `/oauth connect`. */
async function tell(app: AppRequest, ref: AuthorizationRequestRef, reply: Reply): Promise<void> {
  const roomId = ref.context?.roomId;
  if (roomId) await app.notifier.tell(ref.userId, roomId, reply);
}
