// The in-memory "Rocket.Chat server" the bridges read and write: users, rooms, server settings, the
// messages apps send and the records they persist. Plain data; the bridges give it Rocket.Chat's semantics.
// The to*() converters shape records the way Rocket.Chat's converters hand them to apps
// (apps/meteor/app/apps/server/converters/users.ts and rooms.ts in Rocket.Chat).

import { randomUUID } from 'node:crypto';

import type { IMessage } from '@rocket.chat/apps-engine/definition/messages';
import type { IRoom, RoomType } from '@rocket.chat/apps-engine/definition/rooms';
import type { ISetting, SettingType } from '@rocket.chat/apps-engine/definition/settings';
import type { IUser, UserStatusConnection, UserType } from '@rocket.chat/apps-engine/definition/users';

export interface UserFixture {
  id: string;
  username: string;
  name?: string;
  roles?: string[];
  /** The user's language preference (user.settings.preferences.language in Rocket.Chat). */
  language?: string;
}

export interface RoomFixture {
  id: string;
  name: string;
  /** User ids. */
  members: string[];
  /** 'c' a channel (the default), 'd' a direct-message room (one an app opens with a user). */
  type?: 'c' | 'd';
}

/** What an app sent: a room message (IModifyCreator) or an ephemeral notification (INotifier). */
export interface SentMessage {
  kind: 'room' | 'ephemeral';
  id: string;
  appId: string;
  roomId: string;
  /** Ephemeral messages only: the one user who sees it. */
  toUserId?: string;
  senderId?: string;
  text?: string;
  blocks?: unknown[];
  /** The message as the engine handed it to the bridge. */
  raw: IMessage;
}

export interface Association {
  model: string;
  id: string;
}

export interface StoredRecord {
  id: string;
  appId: string;
  associations: Association[];
  data: object;
}

/** A user as the harness stores it (fixtures, the admin, the apps' own users). */
export interface UserRecord {
  id: string;
  username: string;
  name: string;
  roles: string[];
  language?: string;
  type: 'user' | 'app' | 'bot';
  appId?: string;
  isEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class World {
  readonly users = new Map<string, UserRecord>();
  readonly rooms = new Map<string, RoomFixture>();
  readonly messages: SentMessage[] = [];
  readonly records: StoredRecord[] = [];
  readonly serverSettings = new Map<string, ISetting>();
  /**
   * Where outbound calls to an origin really go: origin -> base URL, like a hosts file in front of a
   * TLS terminator. Tests send `https://github.com/...` to a provider emulator on 127.0.0.1 this
   * way, so presets are exercised with their real URLs.
   */
  readonly outboundRoutes = new Map<string, string>();
  private readonly recordWatchers: Array<() => void> = [];
  private readonly messageWatchers = new Set<(message: SentMessage) => void>();

  /** The URL an outbound request to `url` really reaches (itself unless its origin is routed). */
  routeOutbound(url: URL): URL {
    const base = this.outboundRoutes.get(url.origin);
    if (!base) {
      return url;
    }
    return new URL(`${base.replace(/\/+$/, '')}${url.pathname}${url.search}`);
  }

  /** Calls `watcher` after every change of `records` (the persistence bridge reports them). */
  watchRecords(watcher: () => void): void {
    this.recordWatchers.push(watcher);
  }

  /** Called by whoever changed `records`. */
  recordsChanged(): void {
    for (const watcher of this.recordWatchers) {
      watcher();
    }
  }

  /** Keeps a message an app sent and tells the watchers (the bridges call it, never push to `messages`). */
  recordMessage(message: SentMessage): void {
    this.messages.push(message);
    for (const watcher of this.messageWatchers) {
      watcher(message);
    }
  }

  /**
   * Calls `watcher` with every message recorded from now on, until the returned function is called:
   * how a command's own replies are told apart from others' while commands run concurrently
   * (clearMessages() empties `messages` without disturbing a watcher).
   */
  watchMessages(watcher: (message: SentMessage) => void): () => void {
    this.messageWatchers.add(watcher);
    return () => this.messageWatchers.delete(watcher);
  }

  addUser(user: UserFixture & { type?: UserRecord['type']; appId?: string }): string {
    const taken = [...this.users.values()].find((existing) => existing.username === user.username && existing.id !== user.id);
    if (taken) {
      throw new Error(`The username "${user.username}" is already used by user ${taken.id}`);
    }
    const now = new Date();
    this.users.set(user.id, {
      id: user.id,
      username: user.username,
      name: user.name ?? user.username,
      roles: user.roles ?? ['user'],
      language: user.language,
      type: user.type ?? 'user',
      appId: user.appId,
      isEnabled: true,
      createdAt: now,
      updatedAt: now,
    });
    return user.id;
  }

  addRoom(room: RoomFixture): void {
    this.rooms.set(room.id, { ...room, members: [...room.members] });
  }

  /** The direct-message room whose members are exactly these users, if there is one. */
  directRoomOf(userIds: string[]): RoomFixture | undefined {
    const wanted = [...new Set(userIds)].sort().join('\u0000');
    return [...this.rooms.values()].find((room) => room.type === 'd' && [...new Set(room.members)].sort().join('\u0000') === wanted);
  }

  setServerSetting(id: string, value: unknown): void {
    const now = new Date();
    this.serverSettings.set(id, {
      id,
      type: 'string' as SettingType,
      packageValue: value,
      value,
      required: false,
      public: true,
      i18nLabel: id,
      createdAt: now,
      updatedAt: now,
    });
  }

  newId(): string {
    return randomUUID();
  }

  appUser(appId: string): IUser | undefined {
    const record = [...this.users.values()].find((user) => user.type === 'app' && user.appId === appId);
    return record && this.toAppUser(record);
  }

  userById(id: string): IUser | undefined {
    const record = this.users.get(id);
    return record && this.toAppUser(record);
  }

  userByUsername(username: string): IUser | undefined {
    const record = [...this.users.values()].find((user) => user.username === username);
    return record && this.toAppUser(record);
  }

  roomById(id: string): IRoom | undefined {
    const room = this.rooms.get(id);
    return room && this.toAppRoom(room);
  }

  roomByName(name: string): IRoom | undefined {
    const room = [...this.rooms.values()].find((candidate) => candidate.name === name);
    return room && this.toAppRoom(room);
  }

  roomMembers(roomId: string): IUser[] {
    const room = this.rooms.get(roomId);
    return (room?.members ?? []).map((id) => this.userById(id)).filter((user): user is IUser => user !== undefined);
  }

  private toAppUser(user: UserRecord): IUser {
    return {
      id: user.id,
      username: user.username,
      emails: [],
      type: user.type as UserType,
      isEnabled: user.isEnabled,
      name: user.name,
      roles: [...user.roles],
      status: 'online',
      statusConnection: 'online' as UserStatusConnection,
      utcOffset: 0,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
      lastLoginAt: user.updatedAt,
      appId: user.appId,
      // Rocket.Chat copies only the language preference into the app's view of a user.
      settings: { preferences: user.language ? { language: user.language } : {} },
    };
  }

  private toAppRoom(room: RoomFixture): IRoom {
    const members = this.roomMembers(room.id);
    return {
      id: room.id,
      displayName: room.name,
      slugifiedName: room.name,
      type: (room.type ?? 'c') as RoomType,
      // Every room has a creator in Rocket.Chat; a fixture room's is its first member.
      creator: members[0] ?? ({ id: room.members[0] ?? 'unknown', username: 'unknown' } as IUser),
      usernames: members.map((member) => member.username),
      userIds: members.map((member) => member.id),
      isDefault: false,
      isReadOnly: false,
      displaySystemMessages: true,
      messageCount: this.messages.filter((message) => message.kind === 'room' && message.roomId === room.id).length,
    };
  }
}
