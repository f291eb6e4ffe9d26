/**
 * The `connect` endpoint's behaviour: what the Connect button opens.
 *
 * GET shows who is being connected to what (the chat account, the provider, the scopes) and one
 * button, and gives the browser its flow cookie (web/browser-cookie.ts). It creates nothing, so link
 * prefetchers and previews cost nothing and start nothing.
 *
 * POST (that button) checks that the browser sends back the cookie it was given together with the
 * same value in the form (a cross-site form cannot: SameSite=Lax keeps the cookie off cross-site
 * POSTs), then starts the authorization bound to that browser and sends it to the provider. The
 * first browser to press the button claims the link: opened in any other browser afterwards (a
 * forwarded link), it is refused.
 *
 * The page is never skipped: a public endpoint gets no chat session (Rocket.Chat's request.user is
 * empty for ApiSecurity.UNSECURE), so nothing proves the browser belongs to the link's chat user. A
 * platform that can authenticate the browser as that user could start the flow on GET instead.
 */
import * as z from 'zod/mini';
import { browserBindingOf } from '../core/authorize';
import { isOAuthError } from '../core/errors';
import '../core/zod-messages';
import { redactValue } from '../core/redact';
import { displayNameOf } from './config';
import type { ConnectLink } from './connect-links';
import type { AppRequest } from './context';
import { messageForError } from './error-words';
import { translator, type Translate } from './i18n';
import { browserCookie, browserSecretOf, newBrowserSecret, sameSecret } from './web/browser-cookie';
import { htmlPage, redirectTo } from './web/pages';
import { formFields, type WebAnswer, type WebRequest } from './web/web';

/** 32 random bytes, base64url (randomToken). */
const token = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/));
const querySchema = z.object({ link: token });
const formSchema = z.object({ confirm: token });

interface LinkVisit {
  linkId: string;
  link: ConnectLink;
  /** The connect endpoint's URL, which a live link implies. */
  connectUrl: string;
  t: Translate;
  language: string;
  /** The chat account being connected, as the platform shows it. */
  account: string;
}

/** GET: the confirmation page. */
export async function showConnectPage(app: AppRequest, request: WebRequest): Promise<WebAnswer> {
  const visit = await visitOf(app, request);
  if ('refused' in visit) return visit.refused;
  const { t, language, linkId, account } = visit;
  try {
    const { provider } = await app.connector.provider(visit.link.providerId);
    const name = provider.displayName;
    const secret = browserSecretOf(request.headers) ?? newBrowserSecret();
    const scopes = provider.scopes.default.join(' ');
    return htmlPage({
      status: 200,
      tone: 'ask',
      title: t('page_title_confirm', { provider: name }),
      message: t('page_confirm', { provider: name, account }),
      details: [...(scopes ? [t('page_confirm_scopes', { provider: name, scopes })] : []), t('page_confirm_warning', { account })],
      form: {
        // Relative: the form posts back to the address the browser used for this page.
        action: `${lastSegmentOf(visit.connectUrl)}?link=${linkId}`,
        fields: { confirm: confirmationOf(secret, linkId) },
        button: t('page_confirm_button', { provider: name }),
        redirectsTo: provider.endpoints.authorization,
      },
      hint: t('page_confirm_hint', { provider: name }),
      language,
      headers: { 'set-cookie': cookieFor(visit.connectUrl, secret) },
    });
  } catch (error) {
    return failed(app, error, visit);
  }
}

/** POST: the page's button. Starts the authorization in this browser and sends it to the provider. */
export async function confirmConnect(app: AppRequest, request: WebRequest): Promise<WebAnswer> {
  const visit = await visitOf(app, request);
  if ('refused' in visit) return visit.refused;
  const { link, linkId, t, language } = visit;
  const secret = browserSecretOf(request.headers);
  const form = formSchema.safeParse(formFields(request.content));
  // The browser must send back both the cookie and the form value derived from it for this link:
  // only the page this endpoint served, in this browser, has them together.
  if (!form.success || !secret || !sameSecret(confirmationOf(secret, linkId), form.data.confirm)) {
    return htmlPage({ status: 403, tone: 'err', title: t('page_title_error'), message: t('page_stale_confirmation'), hint: t('page_close'), language });
  }
  // Two browsers pressing Continue at once both saw the link unclaimed: only the claim that holds goes on.
  if (!link.browserBinding && !(await app.links.claim(linkId, link, browserBindingOf(secret)))) {
    return htmlPage({ status: 403, tone: 'err', title: t('page_title_error'), message: t('page_link_claimed'), hint: t('page_close'), language });
  }
  try {
    const start = await app.connector.beginAuthorization(link.userId, link.providerId, {
      // The page at the end speaks the language this one did, without reading the user again.
      context: { roomId: link.roomId, linkId, language },
      browserSecret: secret,
    });
    return redirectTo(start.url, { 'set-cookie': cookieFor(visit.connectUrl, secret) });
  } catch (error) {
    return failed(app, error, visit);
  }
}

/** The live link a request names, with what the page needs; or the page that says it is not. */
async function visitOf(app: AppRequest, request: WebRequest): Promise<LinkVisit | { refused: WebAnswer }> {
  const parsed = querySchema.safeParse(request.query);
  const linkId = parsed.success ? parsed.data.link : undefined;
  const link = linkId ? await app.links.peek(linkId) : undefined;
  const person = link?.person ?? (link ? await app.people.find(link.userId).catch(() => undefined) : undefined);
  const language = person?.language ?? (await app.people.defaultLanguage());
  const t = translator(language);
  const connectUrl = app.config.connectUrl;
  if (!link || !linkId || !connectUrl) {
    return { refused: htmlPage({ status: 400, tone: 'err', title: t('page_title_error'), message: t('page_invalid_link'), hint: t('page_close'), language }) };
  }
  const secret = browserSecretOf(request.headers);
  if (link.browserBinding && !(secret && sameSecret(browserBindingOf(secret), link.browserBinding))) {
    return { refused: htmlPage({ status: 403, tone: 'err', title: t('page_title_error'), message: t('page_link_claimed'), hint: t('page_close'), language }) };
  }
  return { linkId, link, connectUrl, t, language, account: person?.displayName ?? link.userId };
}

function failed(app: AppRequest, error: unknown, { link, t, language }: LinkVisit): WebAnswer {
  const { key, expected } = messageForError(error);
  if (expected) app.logger.warn('Could not start an authorization', redactValue(error));
  else app.logger.error('Could not start an authorization', redactValue(error));
  const provider = displayNameOf(app.config, link.providerId);
  const status = isOAuthError(error, 'provider_unavailable') ? 502 : 400;
  return htmlPage({
    status,
    tone: 'err',
    title: t('page_title_error'),
    message: t('page_failed', { reason: t(key, { provider }) }),
    hint: t('page_close'),
    language,
  });
}

/** The flow cookie, scoped to the folder of the app's public endpoints. */
function cookieFor(connectUrl: string, secret: string): string {
  return browserCookie(secret, new URL('.', connectUrl).toString());
}

function lastSegmentOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}

/**
 * The form's value: derived from the cookie and the link, so the page never carries the cookie's
 * secret itself (the state is bound to that secret) and a page for one link is no use for another.
 */
function confirmationOf(secret: string, linkId: string): string {
  return browserBindingOf(`confirm:${linkId}:${secret}`);
}
