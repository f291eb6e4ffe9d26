/**
 * Users, bots, tokens, teams and channels: the records the seeding API makes and the REST routes read,
 * shaped as Mattermost answers them (model/user.go, model/team.go, model/channel.go).
 */
import { AppError } from './errors';
import { isValidId, newId } from './ids';
import { copy, type TokenKind, type World } from './store';
import type { Channel, DirectChannel, Team, WireUser } from './wire';

/** model.IsValidUsername: at least 3 characters, a lower-case letter first, then letters, digits, `.-_`. */
const USERNAME = /^[a-z][a-z0-9.\-_]{2,63}$/;
/** model.IsValidTeamName / channel names: lower-case letters, digits, `-` and `_`. */
const NAME = /^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$/;

export interface UserInput {
  username: string;
  /** An id of one's choosing (a server restored from a backup keeps its users' ids); a new one by default. */
  id?: string;
  /** System roles as Mattermost writes them: "system_user", "system_admin system_user". */
  roles?: string;
  locale?: string;
  firstName?: string;
  lastName?: string;
  nickname?: string;
  email?: string;
}

/** The roles string with system_user always present, as every account has it. */
function systemRoles(roles: string | undefined): string {
  const parts = (roles ?? '').split(/\s+/).filter((part) => part !== '');
  if (!parts.includes('system_user')) parts.push('system_user');
  return parts.join(' ');
}

export function createUser(world: World, input: UserInput, bot?: { description: string }): WireUser {
  const username = input.username.toLowerCase();
  if (!USERNAME.test(username))
    throw new Error(`"${input.username}" is not a username Mattermost accepts (a letter first, then at least two of a-z 0-9 . - _)`);
  if ([...world.users.values()].some((user) => user.username === username)) throw new Error(`a user named "${username}" exists already`);
  if (input.id !== undefined && (!isValidId(input.id) || world.users.has(input.id))) throw new Error(`"${input.id}" is no free Mattermost id`);
  const now = world.now();
  const user: WireUser = {
    id: input.id ?? newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    username,
    auth_service: '',
    email: input.email ?? `${username}@${bot ? 'localhost' : 'example.com'}`,
    nickname: input.nickname ?? '',
    first_name: input.firstName ?? '',
    last_name: input.lastName ?? '',
    position: '',
    roles: systemRoles(input.roles),
    props: {},
    notify_props: {
      desktop: 'mention',
      desktop_sound: 'true',
      email: 'true',
      mark_unread: 'all',
      push: 'mention',
      push_status: 'away',
      comments: 'never',
      first_name: 'false',
      channel: 'true',
      mention_keys: '',
      highlight_keys: '',
    },
    last_password_update: now,
    last_picture_update: 0,
    locale: input.locale ?? 'en',
    timezone: { useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' },
    mfa_active: false,
    last_activity_at: 0,
    is_bot: bot !== undefined,
    bot_description: bot?.description ?? '',
    terms_of_service_id: '',
    terms_of_service_create_at: 0,
  };
  world.users.set(user.id, user);
  return copy(user);
}

/**
 * A user as an API caller sees them: their own profile whole; another's without notify_props and
 * without last_password_update (SanitizeProfile, with the default privacy settings that show full
 * names and email addresses).
 */
export function userView(user: WireUser, viewerId: string): WireUser {
  const view = copy(user);
  if (user.id !== viewerId) {
    view.notify_props = {};
    view.last_password_update = 0;
  }
  return view;
}

/** A token standing for a login session or a personal/bot access token (26 random characters). */
export function issueToken(world: World, userId: string, kind: TokenKind): string {
  if (!world.users.has(userId)) throw new Error(`no user ${userId}`);
  const token = newId();
  world.tokens.set(token, { token, userId, kind });
  return token;
}

export function createTeam(world: World, input: { name: string; displayName?: string }): Team {
  if (!NAME.test(input.name) || input.name.length < 2 || input.name.length > 64) throw new Error(`"${input.name}" is not a team name Mattermost accepts`);
  if ([...world.teams.values()].some((record) => record.team.name === input.name)) throw new Error(`a team named "${input.name}" exists already`);
  const now = world.now();
  const team: Team = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    display_name: input.displayName ?? input.name,
    name: input.name,
    description: '',
    email: '',
    type: 'O',
    company_name: '',
    allowed_domains: '',
    invite_id: newId(),
    allow_open_invite: false,
    scheme_id: '',
    group_constrained: false,
  };
  world.teams.set(team.id, { team, members: new Map() });
  return copy(team);
}

export function addTeamMember(world: World, teamId: string, userId: string, admin = false): void {
  const record = world.teams.get(teamId);
  if (!record) throw new Error(`no team ${teamId}`);
  if (!world.users.has(userId)) throw new Error(`no user ${userId}`);
  const roles = admin ? 'team_user team_admin' : (record.members.get(userId) ?? 'team_user');
  record.members.set(userId, roles);
}

export function createChannel(world: World, teamId: string, input: { name: string; displayName?: string; type?: 'O' | 'P'; creatorId?: string }): Channel {
  const team = world.teams.get(teamId);
  if (!team) throw new Error(`no team ${teamId}`);
  if (!NAME.test(input.name)) throw new Error(`"${input.name}" is not a channel name Mattermost accepts`);
  if ([...world.channels.values()].some((record) => record.channel.team_id === teamId && record.channel.name === input.name)) {
    throw new Error(`team ${team.team.name} has a channel "${input.name}" already`);
  }
  const now = world.now();
  const channel: Channel = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    team_id: teamId,
    type: input.type ?? 'O',
    display_name: input.displayName ?? input.name,
    name: input.name,
    header: '',
    purpose: '',
    last_post_at: 0,
    last_root_post_at: 0,
    creator_id: input.creatorId ?? '',
    scheme_id: '',
    group_constrained: false,
  };
  world.channels.set(channel.id, { channel, members: new Map() });
  return copy(channel);
}

/** A channel member of a team channel is a team member too, as Mattermost requires. */
export function addChannelMember(world: World, channelId: string, userId: string): void {
  const record = world.channels.get(channelId);
  if (!record) throw new Error(`no channel ${channelId}`);
  if (!world.users.has(userId)) throw new Error(`no user ${userId}`);
  if (record.channel.team_id !== '') addTeamMember(world, record.channel.team_id, userId);
  record.members.set(userId, 'channel_user');
}

/** model.GetDMNameFromIds: the two ids sorted, joined by `__`. */
export const directChannelName = (a: string, b: string) => (a > b ? `${b}__${a}` : `${a}__${b}`);

/**
 * GetOrCreateDirectChannel (app/channel.go): one channel per pair, type D, no team; asking again
 * answers the same channel. Both users are members; a user may message themself.
 */
export function getOrCreateDirectChannel(world: World, userId: string, otherId: string): DirectChannel {
  if (!world.users.has(userId) || !world.users.has(otherId))
    throw new AppError('api.channel.create_direct_channel.invalid_user.app_error', 400, {}, `${userId}, ${otherId}`);
  const name = directChannelName(userId, otherId);
  const existing = [...world.channels.values()].find((record) => record.channel.type === 'D' && record.channel.name === name);
  const channel = existing?.channel ?? createDirect(world, name, [userId, otherId]);
  return { ...copy(channel), type: 'D' };
}

function createDirect(world: World, name: string, members: string[]): Channel {
  const now = world.now();
  const channel: Channel = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    team_id: '',
    type: 'D',
    display_name: '',
    name,
    header: '',
    purpose: '',
    last_post_at: 0,
    last_root_post_at: 0,
    creator_id: '',
    scheme_id: '',
    group_constrained: false,
  };
  world.channels.set(channel.id, { channel, members: new Map(members.map((id) => [id, 'channel_user'])) });
  return channel;
}
