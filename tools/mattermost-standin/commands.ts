/**
 * Custom slash commands as records: creation with Mattermost's checks (api4/command.go createCommand,
 * app/command.go createCommand, model/command.go PreSave and IsValid), listing (listCommands) and
 * token regeneration (regenCommandToken).
 */
import { AppError, invalidBodyParam, permissionError } from './errors';
import { isValidId, newId } from './ids';
import { hasTeamPermission } from './permissions';
import { BUILT_IN_TRIGGERS } from './slash-commands';
import { copy, type World } from './store';
import type { Command } from './wire';

export interface CommandInput {
  team_id?: string;
  trigger?: string;
  url?: string;
  method?: string;
  creator_id?: string;
  username?: string;
  icon_url?: string;
  auto_complete?: boolean;
  auto_complete_desc?: string;
  auto_complete_hint?: string;
  display_name?: string;
  description?: string;
}

/** model.IsValidHTTPURL: an http or https URL that parses. */
function isValidHttpUrl(url: string): boolean {
  if (!url.startsWith('http://') && !url.startsWith('https://')) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/** POST /api/v4/commands as `userId`: manage_own_slash_commands on the team, then the model's checks. */
export function createCommand(world: World, userId: string, input: CommandInput): Command {
  const subject = world.subject(userId);
  const teamId = input.team_id ?? '';
  if (!hasTeamPermission(subject, teamId, 'manage_own_slash_commands')) throw permissionError(userId, 'manage_own_slash_commands');
  let creatorId = userId;
  if (input.creator_id && input.creator_id !== userId) {
    if (!hasTeamPermission(subject, teamId, 'manage_others_slash_commands')) throw permissionError(userId, 'manage_others_slash_commands');
    if (!world.users.has(input.creator_id)) throw new AppError('app.user.missing_account.const', 404);
    creatorId = input.creator_id;
  }

  const trigger = (input.trigger ?? '').toLowerCase();
  const taken =
    BUILT_IN_TRIGGERS.includes(trigger) ||
    [...world.commands.values()].some((command) => command.team_id === teamId && command.trigger === trigger && command.delete_at === 0);
  if (taken) throw new AppError('api.command.duplicate_trigger.app_error', 400);

  const now = world.now();
  const command: Command = {
    id: newId(),
    token: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    creator_id: creatorId,
    team_id: teamId,
    trigger,
    ...settableFields(input),
    url: input.url ?? '',
  };
  checkCommand(command);
  world.commands.set(command.id, command);
  return copy(command);
}

/** The fields a create or an update sets from its body, as given or empty (neither keeps an old value). */
function settableFields(
  input: CommandInput,
): Pick<Command, 'method' | 'username' | 'icon_url' | 'auto_complete' | 'auto_complete_desc' | 'auto_complete_hint' | 'display_name' | 'description'> {
  return {
    // IsValid refuses anything but "P" and "G"; an empty method is refused, not defaulted.
    method: input.method === 'P' || input.method === 'G' ? input.method : '',
    username: input.username ?? '',
    icon_url: input.icon_url ?? '',
    auto_complete: input.auto_complete ?? false,
    auto_complete_desc: input.auto_complete_desc ?? '',
    auto_complete_hint: input.auto_complete_hint ?? '',
    display_name: input.display_name ?? '',
    description: input.description ?? '',
  };
}

/** model.Command.IsValid, the checks the stand-in makes. */
function checkCommand(command: Command): void {
  const invalid = (field: string) => new AppError(`model.command.is_valid.${field}.app_error`, 400);
  if (!isValidId(command.team_id)) throw invalid('team_id');
  const trigger = command.trigger;
  if (trigger.length < 1 || trigger.length > 128 || trigger.startsWith('/') || trigger.includes(' ')) throw invalid('trigger');
  if (command.url === '' || command.url.length > 1024) throw invalid('url');
  if (!isValidHttpUrl(command.url)) throw invalid('url_http');
  if (command.method === '') throw invalid('method');
  if (command.display_name.length > 64) throw invalid('display_name');
  if (command.description.length > 128) throw invalid('description');
}

/**
 * PUT /api/v4/commands/{id} (api4/command.go updateCommand): the body's id must be the path's, the
 * team cannot change, someone who may not manage the team's commands is told it does not exist
 * (404), another's command needs manage_others_slash_commands; app.UpdateCommand keeps the token,
 * the creator, the team and the creation time.
 */
export function updateCommand(world: World, userId: string, commandId: string, input: CommandInput & { id?: string }): Command {
  if (input.id !== commandId) throw invalidBodyParam('command');
  const old = world.commands.get(commandId);
  const notFound = new AppError('api.command.update.app_error', 404);
  if (!old || old.delete_at !== 0) throw notFound;
  if ((input.team_id ?? '') !== old.team_id) throw new AppError('api.command.team_mismatch.app_error', 400);
  const subject = world.subject(userId);
  if (!hasTeamPermission(subject, old.team_id, 'manage_own_slash_commands')) throw notFound;
  if (old.creator_id !== userId && !hasTeamPermission(subject, old.team_id, 'manage_others_slash_commands')) {
    throw permissionError(userId, 'manage_others_slash_commands');
  }
  const updated: Command = {
    ...old,
    trigger: (input.trigger ?? old.trigger).toLowerCase(),
    ...settableFields(input),
    url: input.url ?? old.url,
    update_at: world.now(),
  };
  checkCommand(updated);
  world.commands.set(commandId, updated);
  return copy(updated);
}

/** Command.Sanitize: what a listing shows without custom_only. */
function sanitized(command: Command): Command {
  return { ...copy(command), token: '', creator_id: '', method: '', url: '', username: '', icon_url: '' };
}

/**
 * GET /api/v4/commands?team_id=…[&custom_only=true]. view_team is needed. Without
 * manage_own_slash_commands a user sees the team's auto-complete commands, sanitized; with it, the
 * commands they may manage — sanitized, unless custom_only asks for the team's records, tokens included.
 * (A real server lists its built-in commands too in the first two cases.)
 */
export function listCommands(world: World, userId: string, teamId: string | null, customOnly: boolean): Command[] {
  if (!teamId) throw invalidBodyParam('team_id');
  const subject = world.subject(userId);
  if (!hasTeamPermission(subject, teamId, 'view_team')) throw permissionError(userId, 'view_team');
  const ofTeam = [...world.commands.values()].filter((command) => command.team_id === teamId && command.delete_at === 0);
  const mayManage = hasTeamPermission(subject, teamId, 'manage_own_slash_commands');
  const ownOnly = !hasTeamPermission(subject, teamId, 'manage_others_slash_commands');
  const manageable = ofTeam.filter((command) => !ownOnly || command.creator_id === userId);
  if (customOnly) {
    if (!mayManage) throw permissionError(userId, 'manage_own_slash_commands');
    return manageable.map(copy);
  }
  if (!mayManage) return ofTeam.filter((command) => command.auto_complete).map(sanitized);
  return manageable.map(sanitized);
}

/**
 * PUT /api/v4/commands/{id}/regen_token: someone who may not manage the team's commands is told the
 * command does not exist (404), so its existence does not leak.
 */
export function regenerateToken(world: World, userId: string, commandId: string): { token: string } {
  const command = world.commands.get(commandId);
  const notFound = new AppError('store.sql_command.save.get.app_error', 404);
  if (!command || command.delete_at !== 0) throw notFound;
  const subject = world.subject(userId);
  if (!hasTeamPermission(subject, command.team_id, 'manage_own_slash_commands')) throw notFound;
  if (command.creator_id !== userId && !hasTeamPermission(subject, command.team_id, 'manage_others_slash_commands')) {
    throw permissionError(userId, 'manage_others_slash_commands');
  }
  command.token = newId();
  command.update_at = world.now();
  return { token: command.token };
}
