/**
 * The Mattermost service: one HTTP server for Mattermost's slash command and button clicks and for
 * the browser's `connect` and `complete`, all on the platform-neutral app layer (src/app). Every
 * `/oauth` answer is ephemeral; the callback tells the user in the channel they typed in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { completeConnect } from '../app/callback-flow';
import { confirmConnect, showConnectPage } from '../app/connect-flow';
import { CONNECT_LINK_TTL_MS } from '../app/connect-links';
import { appRequest, processShared, type AppRequest, type CommandContext, type PlatformPorts } from '../app/context';
import { translator } from '../app/i18n';
import { runOAuthCommand } from '../app/commands/router';
import type { Reply } from '../app/reply';
import type { TokenService } from '../app/token-service';
import { sameSecret } from '../app/web/browser-cookie';
import { answer, methodNotAllowed, PAGE_HEADERS } from '../app/web/pages';
import type { WebAnswer } from '../app/web/web';
import { systemClock, type Clock, type HttpTransport } from '../core/ports';
import type { Logger } from '../core/redact';
import { SealedLinkedStateStore, SealedTokenStore } from '../core/sealed-stores';
import { derivedSecret } from '../core/sealing';
import { ActionSigner } from './action-signing';
import { ACTION_PATH, COMMAND_PATH, COMPLETE_PATH, CONNECT_PATH, type ServiceConfig } from './config';
import { bare, BodyTooLarge, json, readBody, webRequestOf, write } from './http-io';
import { mattermostTranslator } from './messages';
import { isSystemAdmin, notifierOf, peopleOf, personOf, RESPONSE_URL_TTL_MS } from './platform';
import type { ServiceStorage } from './storage';
import { commandResponseOf } from './render';
import type { MattermostApi } from './rest';
import { actionRequest, slashCommandForm, type ActionResponse } from './wire';

/** What the service keeps, in one database shared by its instances (storage/). */
export type ServiceStores = Pick<ServiceStorage, 'tokens' | 'states' | 'links' | 'lease' | 'responseUrls'>;

export interface ServiceOptions {
  config: ServiceConfig;
  stores: ServiceStores;
  api: MattermostApi;
  transport: HttpTransport;
  logger: Logger;
  clock?: Clock;
  /** The language for a visitor the service cannot name; Mattermost's default locale is English. */
  defaultLanguage?: string;
}

export class MattermostService {
  private readonly shared = processShared();
  private readonly signer: ActionSigner;
  private readonly clock: Clock;
  private botId?: Promise<string>;
  private readonly reportedRecords = new Set<string>();
  /** Behind a reverse proxy under a path (https://example.com/oauth), the routes are below it. */
  private readonly basePath: string;

  constructor(private readonly options: ServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.basePath = new URL(options.config.publicBaseUrl).pathname.replace(/\/+$/, '');
    this.signer = new ActionSigner(derivedSecret(options.config.keyRing.current, 'mattermost button actions v1'));
  }

  /** An HTTP server serving the service's routes (not yet listening). */
  server(): Server {
    const server = createServer((request, response) => void this.handle(request, response));
    // A slow client holds no socket for long (Mattermost itself answers in milliseconds).
    server.requestTimeout = 15_000;
    server.headersTimeout = 10_000;
    return server;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    try {
      const url = new URL(request.url ?? '/', 'http://service.invalid');
      write(response, await this.route(method, url, request), method !== 'HEAD');
    } catch (error) {
      if (error instanceof BodyTooLarge) return write(response, bare(413));
      this.options.logger.error('Request failed unexpectedly', error instanceof Error ? error.name : 'error');
      if (!response.headersSent) write(response, bare(500));
      else response.destroy();
    }
  }

  private async route(method: string, url: URL, request: IncomingMessage): Promise<WebAnswer> {
    const basePath = this.basePath;
    if (basePath && !url.pathname.startsWith(`${basePath}/`)) return bare(404);
    switch (url.pathname.slice(basePath.length)) {
      case COMMAND_PATH:
        return method === 'POST' ? this.command(await readBody(request), request.headers.authorization) : bare(405, ['POST']);
      case ACTION_PATH:
        return method === 'POST' ? this.action(await readBody(request)) : bare(405, ['POST']);
      case CONNECT_PATH:
        return this.page(method, ['GET', 'HEAD', 'POST', 'OPTIONS'], async (app) => {
          const body = method === 'POST' ? await readBody(request) : undefined;
          const web = webRequestOf(request, url, body);
          return method === 'POST' ? confirmConnect(app, web) : showConnectPage(app, web);
        });
      case COMPLETE_PATH:
        // HEAD is safe (RFC 9110 §9.2.1): a link checker's HEAD must not spend the state a GET would.
        if (method === 'HEAD') return answer({ status: 200, headers: PAGE_HEADERS, body: '' });
        return this.page(method, ['GET', 'HEAD', 'OPTIONS'], (app) => completeConnect(app, webRequestOf(request, url, undefined)));
      case '/healthz':
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
      default:
        return bare(404);
    }
  }

  private async page(method: string, allow: string[], serve: (app: AppRequest) => Promise<WebAnswer>): Promise<WebAnswer> {
    if (method === 'OPTIONS') return answer({ status: 204, headers: { ...PAGE_HEADERS, allow: allow.join(', ') }, body: '' });
    if (!allow.includes(method)) return methodNotAllowed(allow);
    return serve(this.appRequest());
  }

  /**
   * A slash command (command.go): the form's token must be the one configured for its team, compared
   * in constant time; anything else is a 401 with no detail, and nothing is done.
   */
  private async command(body: string, authorization: string | undefined): Promise<WebAnswer> {
    const parsed = slashCommandForm.safeParse(Object.fromEntries(new URLSearchParams(body)));
    if (!parsed.success) return bare(401);
    const form = parsed.data;
    const expected = this.options.config.mattermost.commandTokens.get(form.team_id);
    const headerToken = authorization?.startsWith('Token ') ? authorization.slice(6) : form.token;
    if (!expected || !sameSecret(form.token, expected) || !sameSecret(headerToken, expected)) return bare(401);

    const now = this.clock.now();
    // One reader of people for the whole command: the user is read once, for the context and the replies.
    const people = peopleOf(this.options.api, this.defaultLanguage);
    const app = this.appRequest(people);
    const responseUrl = form.response_url && this.options.api.isOnSite(form.response_url) ? form.response_url : undefined;
    const [user] = await Promise.all([
      people.user(form.user_id),
      responseUrl && this.options.stores.responseUrls.remember(form.user_id, form.channel_id, responseUrl, now + RESPONSE_URL_TTL_MS),
    ]);
    if (!user) return bare(401);
    const person = personOf(user, this.defaultLanguage);
    const replies: Reply[] = [];
    const { connector: _connector, ...rest } = app;
    const ctx: CommandContext = {
      ...rest,
      user: { id: user.id, displayName: person.displayName, language: person.language, isAdmin: isSystemAdmin(user) },
      roomId: form.channel_id,
      t: translator(person.language),
      reply: async (reply) => void replies.push(reply),
    };
    await runOAuthCommand(ctx, form.text.split(/\s+/).filter(Boolean));
    return json(200, commandResponseOf(replies, this.renderOptions(user.id)));
  }

  /** A button click: honoured only with a genuine, unexpired context shown to this very user (action-signing.ts). */
  private async action(body: string): Promise<WebAnswer> {
    let content: unknown;
    try {
      content = JSON.parse(body);
    } catch {
      return bare(400);
    }
    const parsed = actionRequest.safeParse(content);
    if (!parsed.success) return bare(400);
    const verdict = this.signer.verify(parsed.data.context, parsed.data.user_id, this.clock.now());
    const user = verdict.ok || verdict.refusal === 'expired' ? await this.options.api.user(parsed.data.user_id).catch(() => undefined) : undefined;
    const t = mattermostTranslator(user ? personOf(user, this.defaultLanguage).language : this.defaultLanguage);
    if (!verdict.ok) {
      if (verdict.refusal !== 'expired') {
        this.options.logger.warn(`A button click was refused (${verdict.refusal})`);
        return bare(403);
      }
      return json(200, { ephemeral_text: t('action_expired') } satisfies ActionResponse);
    }
    // The link is the user's own (made for them when the reply was), and only they see this answer.
    return json(200, { ephemeral_text: t('action_open_link', { label: verdict.action.label, url: verdict.action.value }) } satisfies ActionResponse);
  }

  /**
   * The token service for other code in the service's process (the one way to a token: refreshed
   * when needed, once per expiry across instances; see README, "the token service").
   */
  tokenService(): TokenService {
    return this.appRequest().tokens;
  }

  private get defaultLanguage(): string {
    return this.options.defaultLanguage ?? 'en';
  }

  private renderOptions(userId: string) {
    return { signer: this.signer, actionUrl: this.options.config.actionUrl, userId, now: this.clock.now(), buttonTtlMs: CONNECT_LINK_TTL_MS };
  }

  private botUserId(): Promise<string> {
    this.botId ??= this.options.api.me().then((me) => me.id);
    this.botId.catch(() => (this.botId = undefined));
    return this.botId;
  }

  private appRequest(people = peopleOf(this.options.api, this.defaultLanguage)): AppRequest {
    const { config, stores, api, transport, logger } = this.options;
    const sealing = { ring: config.keyRing, logger, reported: this.reportedRecords };
    const ports: PlatformPorts = {
      transport,
      tokens: new SealedTokenStore(stores.tokens, sealing),
      states: new SealedLinkedStateStore(stores.states, sealing),
      links: stores.links,
      lease: stores.lease,
      clock: this.clock,
      logger,
      people,
      notifier: notifierOf({
        api,
        responseUrls: stores.responseUrls,
        botUserId: () => this.botUserId(),
        render: { signer: this.signer, actionUrl: config.actionUrl, now: this.clock.now(), buttonTtlMs: CONNECT_LINK_TTL_MS },
        logger,
      }),
    };
    return appRequest(config.app, ports, this.shared);
  }
}
