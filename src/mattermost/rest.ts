/**
 * The Mattermost REST API v4 calls the service makes with its bot's token (`Authorization: Bearer`,
 * api4/ handlers): who a user is, the direct channel with a user, a post, and a command's
 * `response_url`; and, with an admin's token, the setup command's. Answers are validated at this
 * edge; errors keep Mattermost's error id and message (model.AppError), never the token.
 */
import type { z } from 'zod/mini';
import { apiError, mattermostChannel, mattermostUser, type CommandResponse, type MattermostUser } from './wire';

type Method = 'GET' | 'POST' | 'PUT';

export class MattermostApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorId: string | undefined,
    what: string,
    detail?: string,
  ) {
    // Mattermost's own message says what to do; its id is kept in `errorId` for code to match.
    super(`Mattermost answered HTTP ${status}${!detail && errorId ? ` (${errorId})` : ''} to ${what}${detail ? `: ${detail}` : ''}`);
    this.name = 'MattermostApiError';
  }
}

export interface MattermostApiOptions {
  siteUrl: string;
  /** The bot's access token (the setup command's: an admin's). */
  token: string;
  timeoutMs?: number;
}

export class MattermostApi {
  private readonly base: string;
  private readonly origin: string;

  constructor(private readonly options: MattermostApiOptions) {
    this.base = `${options.siteUrl.replace(/\/+$/, '')}/api/v4`;
    this.origin = new URL(options.siteUrl).origin;
  }

  me(): Promise<MattermostUser> {
    return this.call('GET', '/users/me', undefined, mattermostUser, 'GET /users/me');
  }

  /** A user, or undefined when Mattermost knows no such user. */
  async user(userId: string): Promise<MattermostUser | undefined> {
    try {
      return await this.call('GET', `/users/${encodeURIComponent(userId)}`, undefined, mattermostUser, 'GET /users/{id}');
    } catch (error) {
      if (error instanceof MattermostApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The direct channel of two users, created when there is none (api4/channel.go createDirectChannel: 201, or the existing one). */
  async directChannel(userA: string, userB: string): Promise<string> {
    const channel = await this.call('POST', '/channels/direct', [userA, userB], mattermostChannel, 'POST /channels/direct');
    return channel.id;
  }

  async createPost(post: { channel_id: string; message: string; props?: Record<string, unknown> }): Promise<void> {
    await this.send('POST', `${this.base}/posts`, post, 'POST /posts');
  }

  /**
   * Answers through a command's `response_url` (app/webhook.go HandleCommandWebhook: 30 minutes, 5
   * uses). Only URLs on the configured site are called: the URL came in a request, and the service
   * must not post to wherever a request points.
   */
  async respond(responseUrl: string, response: CommandResponse): Promise<void> {
    if (!this.isOnSite(responseUrl)) throw new MattermostApiError(400, 'response_url_off_site', 'the response URL');
    await this.send('POST', responseUrl, response, 'the response URL');
  }

  isOnSite(url: string): boolean {
    try {
      const parsed = new URL(url);
      return parsed.origin === this.origin && parsed.pathname.includes('/hooks/commands/');
    } catch {
      return false;
    }
  }

  /** Any API v4 call, its answer checked with `schema`; `what` names it in errors (never a query). */
  async call<T>(method: Method, path: string, body: unknown, schema: z.ZodMiniType<T>, what: string): Promise<T> {
    const text = await this.send(method, `${this.base}${path}`, body, what);
    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) throw new MattermostApiError(502, 'unexpected_answer', what);
    return parsed.data;
  }

  private async send(method: Method, url: string, body: unknown, what: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
    } catch {
      throw new MattermostApiError(503, 'unreachable', what);
    }
    const text = await response.text();
    if (!response.ok) {
      const parsed = apiError.safeParse(safeJson(text));
      throw new MattermostApiError(response.status, parsed.success ? parsed.data.id : undefined, what, parsed.success ? parsed.data.message : undefined);
    }
    return text;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
