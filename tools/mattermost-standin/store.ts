/**
 * The stand-in's state: users, teams, channels and their members, tokens, commands, posts, the
 * ephemeral posts each user was shown, the response_url hooks, and a log of every request. Records are
 * the shapes the API answers with (@mattermost/types), so a route returns a copy of one.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { newId } from './ids';
import type { PermissionSubject } from './permissions';
import type { Channel, Command, ServerAttachment, Team, WirePost, WireUser } from './wire';

export interface StandInSettings {
  /** ServiceSettings.SiteURL: the base of every response_url. */
  siteUrl: string;
  /** ServiceSettings.EnableDeveloper: error bodies keep their detailed_error. Off by default. */
  developerMode: boolean;
  /** ServiceSettings.EnableUserAccessTokens: off by default, so only bots' tokens work. */
  enableUserAccessTokens: boolean;
  /** ServiceSettings.OutgoingIntegrationRequestsTimeout, in milliseconds (30 s by default). */
  integrationTimeoutMs: number;
  /** ServiceSettings.AllowedUntrustedInternalConnections: empty by default, so no internal address. */
  allowedUntrustedInternalConnections: string[];
}

export type TokenKind = 'session' | 'access_token';

export interface TokenRecord {
  token: string;
  userId: string;
  kind: TokenKind;
}

export interface TeamRecord {
  team: Team;
  /** user id → team roles ("team_user", "team_user team_admin"). */
  members: Map<string, string>;
}

export interface ChannelRecord {
  channel: Channel;
  /** user id → channel roles ("channel_user"). */
  members: Map<string, string>;
}

/** model.CommandWebhook: one response_url, its owner and how often it was used. */
export interface ResponseHook {
  id: string;
  commandId: string;
  userId: string;
  channelId: string;
  rootId: string;
  createAt: number;
  useCount: number;
}

export interface EphemeralRecord {
  userId: string;
  /** What the user's client was sent: integrations stripped, each button carrying its cookie. */
  post: WirePost;
}

/** One request the stand-in received, or sent to an integration. */
export interface RequestLogEntry {
  at: number;
  direction: 'in' | 'out';
  method: string;
  /** Path and query for requests in; the full URL for requests out. */
  url: string;
  status: number;
  /** The user the request acted as, when a token (or the hook) named one. */
  userId?: string;
}

/** model.CommandWebhookLifetime (model/command_webhook.go): a response_url lives 30 minutes. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;
/** HandleCommandWebhook: TryUse(hook.Id, 5). */
export const RESPONSE_URL_MAX_USES = 5;

export class World {
  readonly users = new Map<string, WireUser>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly teams = new Map<string, TeamRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly commands = new Map<string, Command>();
  readonly posts = new Map<string, WirePost>();
  readonly ephemeral: EphemeralRecord[] = [];
  readonly hooks = new Map<string, ResponseHook>();
  readonly log: RequestLogEntry[] = [];
  /** PostActionCookieSecret: the key ephemeral posts' button cookies are sealed with. */
  private readonly cookieKey = randomBytes(32);
  /** AsymmetricSigningKey: signs trigger ids. */
  private readonly signingKey: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

  constructor(
    readonly settings: StandInSettings,
    readonly now: () => number,
  ) {}

  subject(userId: string): PermissionSubject {
    return {
      roles: this.users.get(userId)?.roles ?? '',
      teamRoles: (teamId) => this.teams.get(teamId)?.members.get(userId),
      channelRoles: (channelId) => this.channels.get(channelId)?.members.get(userId),
    };
  }

  channel(channelId: string): Channel | undefined {
    return this.channels.get(channelId)?.channel;
  }

  isChannelMember(channelId: string, userId: string): boolean {
    return this.channels.get(channelId)?.members.has(userId) ?? false;
  }

  /** Posts of a channel, oldest first. */
  postsOf(channelId: string): WirePost[] {
    return [...this.posts.values()].filter((post) => post.channel_id === channelId && post.delete_at === 0).sort((a, b) => a.create_at - b.create_at);
  }

  /**
   * model.GenerateTriggerId: base64 of `clientTriggerId:userId:millis:` and an ECDSA signature of it.
   * The client gets the first part; the integration gets the whole id.
   */
  triggerId(userId: string): { clientTriggerId: string; triggerId: string } {
    const clientTriggerId = newId();
    const data = `${clientTriggerId}:${userId}:${this.now()}:`;
    const signature = sign('sha256', Buffer.from(data), this.signingKey).toString('base64');
    return { clientTriggerId, triggerId: Buffer.from(data + signature).toString('base64') };
  }

  /** encryptPostActionCookie (model/post.go): AES-GCM, nonce first, standard base64. */
  sealCookie(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.cookieKey, nonce);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([nonce, sealed]).toString('base64');
  }

  /** DecryptPostActionCookie: undefined for anything this server did not seal. */
  openCookie(encoded: string): string | undefined {
    try {
      const combined = Buffer.from(encoded, 'base64');
      if (combined.length < 12 + 16) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.cookieKey, combined.subarray(0, 12));
      decipher.setAuthTag(combined.subarray(combined.length - 16));
      return Buffer.concat([decipher.update(combined.subarray(12, combined.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** A deep copy, so what a caller holds never aliases the stand-in's state. */
export const copy = <T>(value: T): T => structuredClone(value);

/** The attachments in a post's props, as the server reads them (Post.Attachments). */
export function attachmentsOf(post: WirePost): ServerAttachment[] {
  const attachments = post.props?.attachments;
  return Array.isArray(attachments) ? (attachments as ServerAttachment[]) : [];
}

/** StripActionIntegrations (model/post.go): what any client is sent of a post. */
export function clientView(post: WirePost): WirePost {
  const view = copy(post);
  for (const attachment of attachmentsOf(view)) for (const action of attachment.actions ?? []) delete action.integration;
  return view;
}

/** An empty PostMetadata, as a post with no files, embeds or reactions carries. */
export const emptyMetadata = (): WirePost['metadata'] => ({ embeds: [], emojis: [], files: [], images: {} });
