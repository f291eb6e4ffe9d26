/**
 * The default roles and how a permission is looked up, as model/role.go and app/authorization.go do
 * it, for the permissions the served routes check. A system admin has every permission; otherwise a
 * channel member's channel roles are tried first, then the team roles, then the system roles.
 */

/** Default role → permission sets (model/role.go, MakeDefaultRoles), trimmed to what is checked here. */
const ROLE_PERMISSIONS: Record<string, readonly string[]> = {
  system_user: ['create_direct_channel', 'create_group_channel', 'create_team', 'list_public_teams', 'join_public_teams', 'view_members'],
  team_user: ['list_team_channels', 'join_public_channels', 'read_public_channel', 'view_team'],
  // EnableOnlyAdminIntegrations (on by default) leaves slash commands to team and system admins.
  team_admin: ['manage_own_slash_commands', 'manage_others_slash_commands', 'manage_team', 'manage_team_roles', 'remove_user_from_team'],
  channel_user: ['read_channel', 'read_channel_content', 'create_post', 'use_slash_commands', 'add_reaction', 'remove_reaction', 'upload_file'],
  channel_admin: ['manage_channel_roles'],
};

export interface PermissionSubject {
  /** The user's system roles, space separated, as UserProfile.roles carries them. */
  roles: string;
  teamRoles(teamId: string): string | undefined;
  channelRoles(channelId: string): string | undefined;
}

const grants = (roles: string | undefined, permission: string) =>
  (roles ?? '').split(/\s+/).some((role) => role === 'system_admin' || (ROLE_PERMISSIONS[role] ?? []).includes(permission));

export const isSystemAdmin = (subject: PermissionSubject) => subject.roles.split(/\s+/).includes('system_admin');

/** SessionHasPermissionTo. */
export function hasPermission(subject: PermissionSubject, permission: string): boolean {
  return grants(subject.roles, permission);
}

/** SessionHasPermissionToTeam: the team member's roles, else the system roles; an empty team id never. */
export function hasTeamPermission(subject: PermissionSubject, teamId: string, permission: string): boolean {
  if (teamId === '') return false;
  return grants(subject.teamRoles(teamId), permission) || hasPermission(subject, permission);
}

/**
 * SessionHasPermissionToChannel: the channel roles if a member; a missing channel refuses; a system
 * admin may; then the channel's team, or the system roles for a direct or group channel.
 */
export function hasChannelPermission(subject: PermissionSubject, channel: { id: string; team_id: string } | undefined, permission: string): boolean {
  if (!channel) return false;
  if (grants(subject.channelRoles(channel.id), permission)) return true;
  if (isSystemAdmin(subject)) return true;
  return channel.team_id !== '' ? hasTeamPermission(subject, channel.team_id, permission) : hasPermission(subject, permission);
}

/**
 * SessionHasPermissionToReadChannel: read_channel_content on the channel, or, for a public channel,
 * read_public_channel on its team (so a team member reads public channels without joining them).
 */
export function canReadChannel(subject: PermissionSubject, channel: { id: string; team_id: string; type: string } | undefined): boolean {
  if (!channel) return false;
  if (hasChannelPermission(subject, channel, 'read_channel_content')) return true;
  return channel.type === 'O' && hasTeamPermission(subject, channel.team_id, 'read_public_channel');
}
