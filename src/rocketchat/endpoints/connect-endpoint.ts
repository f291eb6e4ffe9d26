/**
 * `connect`: what the Connect button opens.
 *
 * GET shows who is being connected to what (the chat account, the provider, the scopes) and one
 * button, and gives the browser its flow cookie (browser-cookie.ts). It creates nothing, so link
 * prefetchers and previews cost nothing and start nothing.
 *
 * POST (that button) checks that the browser sends back the cookie it was given together with the
 * same value in the form (a cross-site form cannot: SameSite=Lax keeps the cookie off cross-site
 * POSTs), then starts the authorization bound to that browser and sends it to the provider. The
 * first browser to press the button claims the link: opened in any other browser afterwards (a
 * forwarded link), it is refused.
 *
 * The page is never skipped: a public endpoint gets no Rocket.Chat session (request.user is empty
 * for ApiSecurity.UNSECURE), so nothing proves the browser belongs to the link's chat user. A
 * platform that can authenticate the browser as that user could start the flow on GET instead.
 */
import type { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { z } from 'zod';
import { browserBindingOf } from '../../core/authorize';
import { isOAuthError } from '../../core/errors';
import { redactValue } from '../../core/redact';
import { browserCookie, browserSecretOf, newBrowserSecret, sameSecret } from '../browser-cookie';
import { languageFor } from '../command-scope';
import { loadConfiguration, publicEndpointUrl, type Configuration } from '../configuration';
import { CONNECT_PATH } from '../connect-link';
import { connectorFor } from '../connector';
import { messageForError } from '../error-replies';
import { translator, type Translate } from '../i18n';
import { connectLinks, type ConnectLink } from '../pending-stores';
import { htmlPage, redirectTo } from './html-page';
import { PublicEndpoint } from './public-endpoint';

/** 32 random bytes, base64url (randomToken). */
const token = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const querySchema = z.object({ link: token });
const formSchema = z.object({ confirm: token });

interface LinkVisit {
  linkId: string;
  link: ConnectLink;
  config: Configuration;
  t: Translate;
  language: string;
  userName: string;
}

export class ConnectEndpoint extends PublicEndpoint {
  override path = CONNECT_PATH;
  protected override readonly alsoServes: Array<'POST'> = ['POST'];

  async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, _modify: IModify, http: IHttp, persis: IPersistence): Promise<IApiResponse> {
    const visit = await this.visit(request, read, persis);
    if ('refused' in visit) return visit.refused;
    const { config, link, t, language } = visit;
    try {
      const { provider } = await connectorFor({ config, read, http, persis, logger: this.app.getLogger() }).provider(link.providerId);
      const name = provider.displayName;
      const secret = browserSecretOf(request.headers) ?? newBrowserSecret();
      const scopes = provider.scopes.default.join(' ');
      return htmlPage({
        status: 200,
        tone: 'ask',
        title: t('page_title_confirm', { provider: name }),
        message: t('page_confirm', { provider: name, account: visit.userName }),
        details: [...(scopes ? [t('page_confirm_scopes', { provider: name, scopes })] : []), t('page_confirm_warning', { account: visit.userName })],
        form: {
          action: `${CONNECT_PATH}?link=${visit.linkId}`,
          fields: { confirm: confirmationOf(secret, visit.linkId) },
          button: t('page_confirm_button', { provider: name }),
          redirectsTo: provider.endpoints.authorization,
        },
        hint: t('page_confirm_hint', { provider: name }),
        language,
        headers: { 'set-cookie': this.cookie(config, secret) },
      });
    } catch (error) {
      return this.failed(error, visit);
    }
  }

  override async post(
    request: IApiRequest,
    _endpoint: IApiEndpointInfo,
    read: IRead,
    _modify: IModify,
    http: IHttp,
    persis: IPersistence,
  ): Promise<IApiResponse> {
    const visit = await this.visit(request, read, persis);
    if ('refused' in visit) return visit.refused;
    const { config, link, linkId, t, language } = visit;
    const secret = browserSecretOf(request.headers);
    const form = formSchema.safeParse(formFields(request.content));
    // The browser must send back both the cookie and the form value derived from it for this link:
    // only the page this endpoint served, in this browser, has them together.
    if (!form.success || !secret || !sameSecret(confirmationOf(secret, linkId), form.data.confirm)) {
      return htmlPage({ status: 403, tone: 'err', title: t('page_title_error'), message: t('page_stale_confirmation'), hint: t('page_close'), language });
    }
    try {
      if (!link.browserBinding) await connectLinks(read.getPersistenceReader(), persis).claim(linkId, link, browserBindingOf(secret));
      const start = await connectorFor({ config, read, http, persis, logger: this.app.getLogger() }).beginAuthorization(link.userId, link.providerId, {
        context: { roomId: link.roomId, linkId },
        browserSecret: secret,
      });
      return redirectTo(start.url, { 'set-cookie': this.cookie(config, secret) });
    } catch (error) {
      return this.failed(error, visit);
    }
  }

  /** The flow cookie, scoped to this app's public endpoints (a link exists only with a public base). */
  private cookie(config: Configuration, secret: string): string {
    return browserCookie(secret, publicEndpointUrl(config.publicBase!, this.app.getID(), ''));
  }

  /** The live link a request names, with what the page needs; or the page that says it is not. */
  private async visit(request: IApiRequest, read: IRead, persis: IPersistence): Promise<LinkVisit | { refused: IApiResponse }> {
    const parsed = querySchema.safeParse(request.query ?? {});
    const linkId = parsed.success ? parsed.data.link : undefined;
    const link = linkId ? await connectLinks(read.getPersistenceReader(), persis).peek(linkId) : undefined;
    const user = link
      ? await read
          .getUserReader()
          .getById(link.userId)
          .catch(() => undefined)
      : undefined;
    const language = await languageFor(read.getEnvironmentReader(), user);
    const t = translator(language);
    if (!link || !linkId) {
      return {
        refused: htmlPage({ status: 400, tone: 'err', title: t('page_title_error'), message: t('page_invalid_link'), hint: t('page_close'), language }),
      };
    }
    const secret = browserSecretOf(request.headers);
    if (link.browserBinding && !(secret && sameSecret(browserBindingOf(secret), link.browserBinding))) {
      return {
        refused: htmlPage({ status: 403, tone: 'err', title: t('page_title_error'), message: t('page_link_claimed'), hint: t('page_close'), language }),
      };
    }
    const config = await loadConfiguration(read.getEnvironmentReader(), this.app.getID());
    const userName = user ? (user.name && user.name !== user.username ? `${user.name} (@${user.username})` : `@${user.username}`) : link.userId;
    return { linkId, link, config, t, language, userName };
  }

  private failed(error: unknown, { config, link, t, language }: LinkVisit): IApiResponse {
    const logger = this.app.getLogger();
    const { key, expected } = messageForError(error);
    if (expected) logger.warn('Could not start an authorization', redactValue(error));
    else logger.error('Could not start an authorization', redactValue(error));
    const provider = config.providers.find((p) => p.definition.id === link.providerId)?.definition.displayName ?? link.providerId;
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
}

/** A form body as Rocket.Chat hands it over: parsed into an object, or the raw urlencoded text. */
function formFields(content: unknown): Record<string, unknown> {
  if (typeof content === 'string') return Object.fromEntries(new URLSearchParams(content));
  return content && typeof content === 'object' && !Array.isArray(content) ? (content as Record<string, unknown>) : {};
}

/**
 * The form's value: derived from the cookie and the link, so the page never carries the cookie's
 * secret itself (the state is bound to that secret) and a page for one link is no use for another.
 */
function confirmationOf(secret: string, linkId: string): string {
  return browserBindingOf(`confirm:${linkId}:${secret}`);
}
