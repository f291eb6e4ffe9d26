/**
 * MattermostStandIn: a Mattermost server for tests and local runs, over real HTTP on 127.0.0.1. It
 * serves the REST calls a Mattermost integration makes (routes.ts), sends slash commands and button
 * clicks to integrations as Mattermost does (slash-commands.ts, actions.ts), and shows what each user
 * would see. Seeding is direct (no HTTP), so a test states its world in a few lines.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTION_ID_PATTERN, doPostAction } from './actions';
import { createCommand, type CommandInput } from './commands';
import { addChannelMember, addTeamMember, createChannel, createTeam, createUser, issueToken, type UserInput } from './directory';
import { AppError, invalidUrlParam, routeNotFound, type AppErrorBody } from './errors';
import { isValidId, newId } from './ids';
import { serve } from './routes';
import { executeCommand, type SentCommand } from './slash-commands';
import { attachmentsOf, clientView, copy, World, type RequestLogEntry } from './store';
import type { ActionRequest, Channel, Command, Team, WireCommandResponse, WirePost, WireUser } from './wire';

export interface StandInOptions {
  /** ServiceSettings.SiteURL, the base of response_url; by default the stand-in's own address. */
  siteUrl?: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The clock response_url lifetimes are measured with; Date.now by default. */
  now?: () => number;
  /** OutgoingIntegrationRequestsTimeout in milliseconds; 30 000 by default, as Mattermost's 30 s. */
  integrationTimeoutMs?: number;
  /** ServiceSettings.EnableDeveloper: keep detailed_error in error bodies. Off, as by default. */
  developerMode?: boolean;
  /** ServiceSettings.EnableUserAccessTokens: off by default, so only bots' access tokens work. */
  enableUserAccessTokens?: boolean;
  /**
   * ServiceSettings.AllowedUntrustedInternalConnections: host names or CIDR ranges commands and buttons
   * may reach although internal. Empty by default, as in Mattermost: an integration on 127.0.0.1 or a
   * private network is refused until the admin lists it.
   */
  allowedUntrustedInternalConnections?: string[];
}

/** The outcome of a slash command, as the user who typed it would experience it. */
export interface SlashCommandRun {
  /** The status POST /api/v4/commands/execute answers the user's client. */
  status: number;
  /** The command response the client receives (trigger_id is the client's part). */
  response?: WireCommandResponse;
  /** The error the client receives; its `message` is what the user is shown. */
  error?: AppErrorBody;
  /** Posts shown only to the user who ran the command, by this run. */
  ephemeral: WirePost[];
  /** Posts this run created in channels, visible to their members. */
  posts: WirePost[];
  /** Exactly what the integration was sent, when the command got that far. */
  sent?: SentCommand;
}

/** The outcome of a button click. */
export interface ButtonClick {
  /** The status POST /api/v4/posts/{post_id}/actions/{action_id} answers the client. */
  status: number;
  result?: { status: 'OK'; trigger_id: string };
  error?: AppErrorBody;
  /** What the integration was sent: the URL, headers (no credentials) and the action request. */
  sent?: { url: string; headers: Record<string, string>; request: ActionRequest };
  /** Ephemeral posts shown to the user who clicked. */
  ephemeral: WirePost[];
  /** Posts the answer's `update` changed, as clients now see them. */
  updated: WirePost[];
}

export class MattermostStandIn {
  /** Where the stand-in listens, e.g. http://127.0.0.1:40123 (Client4.setUrl takes this). */
  readonly url: string;

  private constructor(
    private readonly world: World,
    private readonly server: Server,
    url: string,
  ) {
    this.url = url;
  }

  static async start(options: StandInOptions = {}): Promise<MattermostStandIn> {
    const settings = {
      siteUrl: options.siteUrl ?? '',
      developerMode: options.developerMode ?? false,
      enableUserAccessTokens: options.enableUserAccessTokens ?? false,
      integrationTimeoutMs: options.integrationTimeoutMs ?? 30_000,
      allowedUntrustedInternalConnections: [...(options.allowedUntrustedInternalConnections ?? [])],
    };
    const world = new World(settings, options.now ?? Date.now);
    const server = createServer((req, res) => {
      serve(world, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolveListening, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.removeListener('error', reject);
        resolveListening();
      });
    });
    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    if (settings.siteUrl === '') settings.siteUrl = url;
    return new MattermostStandIn(world, server, url);
  }

  /** ServiceSettings.SiteURL: response_url is `<siteUrl>/hooks/commands/<id>`. */
  get siteUrl(): string {
    return this.world.settings.siteUrl;
  }

  // ---- seeding

  addTeam(input: { name: string; displayName?: string }): Team {
    return createTeam(this.world, input);
  }

  /** A user; `teams` makes them a member (team_user) of each. Roles default to system_user. */
  addUser(input: UserInput & { teams?: string[] }): WireUser {
    const user = createUser(this.world, input);
    for (const teamId of input.teams ?? []) addTeamMember(this.world, teamId, user.id);
    return user;
  }

  addTeamMember(teamId: string, userId: string, options: { admin?: boolean } = {}): void {
    addTeamMember(this.world, teamId, userId, options.admin);
  }

  /** A public (or private) channel of a team; its members join the team as well. */
  addChannel(teamId: string, input: { name: string; displayName?: string; type?: 'O' | 'P'; members?: string[] }): Channel {
    const channel = createChannel(this.world, teamId, input);
    for (const userId of input.members ?? []) addChannelMember(this.world, channel.id, userId);
    return copy(this.world.channel(channel.id) ?? channel);
  }

  addChannelMember(channelId: string, userId: string): void {
    addChannelMember(this.world, channelId, userId);
  }

  /**
   * A bot account owned by `owner` and an access token for it. Bots' tokens work whatever
   * EnableUserAccessTokens says, and never expire. The display name is the bot user's first name.
   */
  addBot(input: { username: string; owner: string; displayName?: string; description?: string }): { user: WireUser; token: string } {
    if (!this.world.users.has(input.owner)) throw new Error(`no owner ${input.owner}`);
    const user = createUser(this.world, { username: input.username, firstName: input.displayName ?? '' }, { description: input.description ?? '' });
    return { user, token: issueToken(this.world, user.id, 'access_token') };
  }

  /** A personal access token; REST refuses it (401) unless enableUserAccessTokens is on, as Mattermost does. */
  addPersonalAccessToken(userId: string): string {
    return issueToken(this.world, userId, 'access_token');
  }

  /** A session token, as logging in (POST /api/v4/users/login) would give the user. */
  loginAs(userId: string): string {
    return issueToken(this.world, userId, 'session');
  }

  /** A custom slash command created by `creatorId`, with the same checks as POST /api/v4/commands. */
  addCommand(creatorId: string, input: CommandInput & { team_id: string; trigger: string; url: string }): Command {
    try {
      return createCommand(this.world, creatorId, { method: 'P', ...input });
    } catch (error) {
      if (error instanceof AppError) throw new Error(`command not created: ${error.message} (${error.id})`);
      throw error;
    }
  }

  // ---- what users do

  /**
   * The user types `text` (`/oauth connect github`) in a channel: the command's integration is called
   * exactly as Mattermost calls it, and its answer posted as Mattermost posts it.
   */
  async runSlashCommand(input: { userId: string; channelId: string; text: string; teamId?: string; rootId?: string }): Promise<SlashCommandRun> {
    const entry = this.logIn('POST', '/api/v4/commands/execute', input.userId);
    const outcome =
      input.text.length <= 1 || !input.text.startsWith('/') || !isValidId(input.channelId)
        ? { error: new AppError('api.command.execute_command.start.app_error', 400), shown: { posts: [], ephemeral: [] } }
        : await executeCommand(this.world, {
            userId: input.userId,
            channelId: input.channelId,
            command: input.text,
            teamId: input.teamId,
            rootId: input.rootId,
          });
    entry.status = outcome.error?.status ?? 200;
    return {
      status: entry.status,
      response: 'response' in outcome ? outcome.response : undefined,
      error: outcome.error?.body(newId(), this.world.settings.developerMode),
      ephemeral: outcome.shown.ephemeral.filter((shown) => shown.userId === input.userId).map((shown) => shown.post),
      posts: outcome.shown.posts,
      sent: 'sent' in outcome ? outcome.sent : undefined,
    };
  }

  /**
   * The user clicks a button: on an ephemeral post the client sends the button's cookie, on a stored
   * post only the ids, as Mattermost's clients do. An action id outside [A-Za-z0-9] matches no route.
   */
  async clickButton(input: { userId: string; postId: string; actionId: string; selectedOption?: string }): Promise<ButtonClick> {
    const entry = this.logIn('POST', `/api/v4/posts/${input.postId}/actions/${encodeURIComponent(input.actionId)}`, input.userId);
    const cookie = this.world.ephemeral
      .filter((record) => record.userId === input.userId && record.post.id === input.postId)
      .flatMap((record) => attachmentsOf(record.post).flatMap((attachment) => attachment.actions ?? []))
      .find((action) => action.id === input.actionId)?.cookie;
    const refused = (error: AppError) => ({ error, shown: { posts: [], ephemeral: [] } });
    const outcome =
      !ACTION_ID_PATTERN.test(input.actionId) || !ACTION_ID_PATTERN.test(input.postId)
        ? refused(routeNotFound())
        : !isValidId(input.postId)
          ? refused(invalidUrlParam('post_id'))
          : await doPostAction(this.world, {
              userId: input.userId,
              postId: input.postId,
              actionId: input.actionId,
              cookie,
              selectedOption: input.selectedOption,
            });
    entry.status = outcome.error?.status ?? 200;
    return {
      status: entry.status,
      result: 'result' in outcome ? outcome.result : undefined,
      error: outcome.error?.body(newId(), this.world.settings.developerMode),
      sent: 'sent' in outcome ? outcome.sent : undefined,
      ephemeral: outcome.shown.ephemeral.filter((shown) => shown.userId === input.userId).map((shown) => shown.post),
      updated: outcome.shown.posts,
    };
  }

  // ---- what users see

  /** The posts of a channel as its members' clients show them, oldest first. */
  postsIn(channelId: string): WirePost[] {
    return this.world.postsOf(channelId).map(clientView);
  }

  /** Ephemeral posts shown to a user (in one channel, if given), oldest first. */
  ephemeralFor(userId: string, channelId?: string): WirePost[] {
    return this.world.ephemeral
      .filter((record) => record.userId === userId && (channelId === undefined || record.post.channel_id === channelId))
      .map((record) => copy(record.post));
  }

  /** Posts in the user's direct-message channels (with one other user, if given), oldest first. */
  directMessages(userId: string, otherUserId?: string): WirePost[] {
    const channels = [...this.world.channels.values()]
      .filter((record) => record.channel.type === 'D' && record.members.has(userId) && (otherUserId === undefined || record.members.has(otherUserId)))
      .map((record) => record.channel.id);
    return channels
      .flatMap((id) => this.world.postsOf(id))
      .sort((a, b) => a.create_at - b.create_at)
      .map(clientView);
  }

  /** Every request received (`in`) and sent to an integration (`out`), in order. */
  get requests(): RequestLogEntry[] {
    return copy(this.world.log);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolveClosed) => this.server.close(() => resolveClosed()));
  }

  private logIn(method: string, url: string, userId: string): RequestLogEntry {
    const entry: RequestLogEntry = { at: this.world.now(), direction: 'in', method, url, status: 0, userId };
    this.world.log.push(entry);
    return entry;
  }
}
