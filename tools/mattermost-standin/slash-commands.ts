/**
 * Running a custom slash command as the server does (api4/command.go executeCommand, app/command.go
 * ExecuteCommand, tryExecuteCustomCommand, DoCommandRequest, HandleCommandResponse) and answering
 * through its response_url (web/webhook.go commandWebhook, app/webhook.go HandleCommandWebhook).
 */
import { AppError, permissionError } from './errors';
import { newId } from './ids';
import { OutgoingError, encodeForm, send, sortForm } from './outgoing';
import { hasChannelPermission, hasPermission } from './permissions';
import { handleCommandResponse, nothingShown, type Shown } from './posts';
import { RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_MAX_USES, copy, type World } from './store';
import { commandResponseSchema, type Command, type WireCommandResponse } from './wire';

/** MaxIntegrationResponseSize (app/webhook.go): 1 MiB of an integration's answer is read. */
export const MAX_INTEGRATION_RESPONSE_BYTES = 1024 * 1024;

export interface ExecuteInput {
  userId: string;
  channelId: string;
  /** What the user typed, trigger included: `/oauth connect github`. */
  command: string;
  /** The team the client is in; only used in direct and group channels, which have none. */
  teamId?: string;
  rootId?: string;
}

/** What the integration was sent, exactly (the test-facing record of one delivery). */
export interface SentCommand {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** The form as url.Values, in the order it was encoded (sorted by key). */
  form: Array<[string, string]>;
  body?: string;
}

export interface ExecuteOutcome {
  response?: WireCommandResponse;
  error?: AppError;
  shown: Shown;
  sent?: SentCommand;
}

/** Built-in commands (app/slashcommands) on by default: a custom command cannot take their trigger. */
export const BUILT_IN_TRIGGERS = [
  'away',
  'code',
  'collapse',
  'dnd',
  'expand',
  'groupmsg',
  'header',
  'help',
  'invite',
  'join',
  'kick',
  'leave',
  'logout',
  'me',
  'msg',
  'mute',
  'offline',
  'online',
  'open',
  'purpose',
  'remove',
  'rename',
  'search',
  'settings',
  'shortcuts',
  'shrug',
  'status',
];

/** api4/command.go executeCommand then app/command.go ExecuteCommand, for custom commands. */
export async function executeCommand(world: World, input: ExecuteInput): Promise<ExecuteOutcome> {
  const shown = nothingShown();
  const fail = (error: AppError): ExecuteOutcome => ({ error, shown });
  if (input.command.length <= 1 || !input.command.startsWith('/')) return fail(new AppError('api.command.execute_command.start.app_error', 400));

  const subject = world.subject(input.userId);
  const channel = world.channel(input.channelId);
  if (!hasChannelPermission(subject, channel, 'create_post') || !channel) return fail(permissionError(input.userId, 'create_post'));
  if (channel.delete_at !== 0) return fail(new AppError('api.command.execute_command.deleted.error', 400));

  let teamId = input.teamId ?? '';
  if (channel.type !== 'D' && channel.type !== 'G') {
    // The team comes from the channel, so a command of another team cannot run here.
    teamId = channel.team_id;
  } else if (!world.teams.get(teamId)?.members.has(input.userId) && !hasPermission(subject, 'create_post')) {
    return fail(permissionError(input.userId, 'create_post'));
  }

  // The trigger is everything up to the first white space, lower-cased; the text is what follows it.
  const space = input.command.search(/\s/);
  const trigger = (space === -1 ? input.command : input.command.slice(0, space)).toLowerCase().slice(1);
  const message = space === -1 ? '' : input.command.slice(space + 1);

  // tryExecuteCustomCommand looks the team up first: a direct channel with no team named fails here.
  const team = world.teams.get(teamId)?.team;
  if (!team) return fail(new AppError('app.team.get.find.app_error', 404));
  const user = world.users.get(input.userId);
  const command = [...world.commands.values()].find((candidate) => candidate.team_id === teamId && candidate.trigger === trigger && candidate.delete_at === 0);
  if (!command || !user) {
    return fail(
      new AppError('api.command.execute_command.not_found.app_error', 404, { Trigger: trigger.length > 512 ? `${trigger.slice(0, 512)}...` : trigger }),
    );
  }

  const { clientTriggerId, triggerId } = world.triggerId(input.userId);
  const hook = {
    id: newId(),
    commandId: command.id,
    userId: input.userId,
    channelId: input.channelId,
    rootId: input.rootId ?? '',
    createAt: world.now(),
    useCount: 0,
  };
  world.hooks.set(hook.id, hook);

  const form: Array<[string, string]> = [
    ['token', command.token],
    ['team_id', command.team_id],
    ['team_domain', team.name],
    ['channel_id', input.channelId],
    ['channel_name', channel.name],
    ['user_id', input.userId],
    ['user_name', user.username],
    ['command', `/${trigger}`],
    ['text', message],
    ['trigger_id', triggerId],
    ['root_id', input.rootId ?? ''],
    ...mentions(world, message, teamId),
    ['response_url', `${world.settings.siteUrl}/hooks/commands/${hook.id}`],
  ];
  const outcome = await doCommandRequest(world, command, form);
  if (outcome.error) return { error: outcome.error, shown, sent: outcome.sent };
  const response = outcome.response ?? {};

  const error = handleCommandResponse(
    world,
    { userId: input.userId, channelId: input.channelId, teamId, rootId: input.rootId ?? '', trigger },
    response,
    shown,
  );
  if (error) return { error, shown, sent: outcome.sent };
  return { response: { ...copy(response), trigger_id: clientTriggerId }, shown, sent: outcome.sent };
}

/**
 * MentionsToTeamMembers and MentionsToPublicChannels: `@name` of a team member and `~name` of a public
 * channel of the team, as `users_mentioned`/`users_mentioned_ids` and `channels_mentioned`/`…_ids`.
 */
function mentions(world: World, message: string, teamId: string): Array<[string, string]> {
  const values: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const match of message.matchAll(/\B@([A-Za-z0-9][A-Za-z0-9.\-_:]*)/g)) {
    let name = match[1].toLowerCase();
    // Trailing punctuation is not part of a name: "@alice." mentions alice.
    while (name.length > 0 && !findMember(world, name, teamId) && /[.\-_]$/.test(name)) name = name.slice(0, -1);
    const user = findMember(world, name, teamId);
    if (user && !seen.has(`u:${name}`)) {
      seen.add(`u:${name}`);
      values.push(['users_mentioned', name], ['users_mentioned_ids', user]);
    }
  }
  for (const match of message.matchAll(/\B~([a-z0-9\-_]+)/g)) {
    const channel = [...world.channels.values()].find((c) => c.channel.team_id === teamId && c.channel.name === match[1] && c.channel.type === 'O');
    if (channel && !seen.has(`c:${match[1]}`)) {
      seen.add(`c:${match[1]}`);
      values.push(['channels_mentioned', match[1]], ['channels_mentioned_ids', channel.channel.id]);
    }
  }
  return values;
}

function findMember(world: World, username: string, teamId: string): string | undefined {
  const user = [...world.users.values()].find((candidate) => candidate.username === username);
  return user && world.teams.get(teamId)?.members.has(user.id) ? user.id : undefined;
}

/**
 * DoCommandRequest: POST the form (or GET with it in the query), `Accept: application/json`,
 * `Authorization: Token <token>`; any status but 200 is an error naming the status; the answer is JSON
 * only when its media type is exactly application/json, otherwise its text is the response.
 */
async function doCommandRequest(
  world: World,
  command: Command,
  form: Array<[string, string]>,
): Promise<{ response?: WireCommandResponse; error?: AppError; sent?: SentCommand }> {
  const encoded = encodeForm(form);
  const failed = (detail: string) => new AppError('api.command.execute_command.failed.app_error', 500, { Trigger: command.trigger }, detail);
  let url = command.url;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (command.token !== '') headers.Authorization = `Token ${command.token}`;
  if (command.method === 'G') {
    const target = new URL(command.url);
    target.search = target.search === '' ? encoded : `${target.search.slice(1)}&${encoded}`;
    url = target.toString();
  } else {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const method = command.method === 'G' ? 'GET' : 'POST';
  const sent: SentCommand = { method, url, headers, form: sortForm(form), body: method === 'POST' ? encoded : undefined };

  let answer;
  try {
    answer = await send({
      method,
      url,
      headers,
      body: sent.body,
      timeoutMs: world.settings.integrationTimeoutMs,
      limit: MAX_INTEGRATION_RESPONSE_BYTES,
      allowedInternal: world.settings.allowedUntrustedInternalConnections,
    });
  } catch (error) {
    world.log.push({ at: world.now(), direction: 'out', method, url, status: 0 });
    return { error: failed(error instanceof OutgoingError ? error.message : String(error)), sent };
  }
  world.log.push({ at: world.now(), direction: 'out', method, url, status: answer.status });
  if (answer.status !== 200) {
    return {
      error: new AppError(
        'api.command.execute_command.failed_resp.app_error',
        500,
        { Trigger: command.trigger, Status: answer.statusLine },
        answer.body.toString('utf8'),
      ),
      sent,
    };
  }
  const parsed = parseCommandResponse(String(answer.headers['content-type'] ?? ''), answer.body);
  if ('error' in parsed) return { error: failed(parsed.error), sent };
  return { response: parsed.response, sent };
}

/** model.CommandResponseFromHTTPBody: JSON only for the media type application/json. */
export function parseCommandResponse(contentType: string, body: Buffer): { response: WireCommandResponse } | { error: string } {
  const mediaType = contentType.split(';')[0].trim();
  if (mediaType !== 'application/json') return { response: { text: body.toString('utf8') } };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (json === null) return { response: {} };
  const result = commandResponseSchema.safeParse(json);
  return result.success ? { response: result.data } : { error: result.error.message };
}

export interface HookOutcome {
  error?: AppError;
  shown: Shown;
  userId?: string;
}

/**
 * POST /hooks/commands/{id}: parse (a body that fails to parse is refused before anything else), then
 * HandleCommandWebhook: an expired or unknown hook is 404, a sixth use 400, then the response is posted
 * as the command's own would be. A use is spent even when posting then fails.
 */
export function handleResponseUrl(world: World, hookId: string, contentType: string, body: Buffer): HookOutcome {
  const shown = nothingShown();
  const parsed = parseCommandResponse(contentType, body);
  if ('error' in parsed) return { error: new AppError('web.command_webhook.parse.app_error', 400, { hook_id: hookId }, parsed.error), shown };

  const hook = world.hooks.get(hookId);
  // SqlCommandWebhookStore.Get: only hooks created within CommandWebhookLifetime exist.
  if (!hook || hook.createAt <= world.now() - RESPONSE_URL_LIFETIME_MS) return { error: new AppError('app.command_webhook.get.missing', 404), shown };
  const command = world.commands.get(hook.commandId);
  if (!command) return { error: new AppError('web.command_webhook.command.app_error', 400, { command_id: hook.commandId }), shown, userId: hook.userId };
  if (hook.useCount >= RESPONSE_URL_MAX_USES) return { error: new AppError('app.command_webhook.try_use.invalid', 400), shown, userId: hook.userId };
  hook.useCount += 1;

  const context = { userId: hook.userId, channelId: hook.channelId, teamId: command.team_id, rootId: hook.rootId, trigger: '' };
  const error = handleCommandResponse(world, context, parsed.response, shown);
  return { error, shown, userId: hook.userId };
}

/**
 * The command response as the client receives it from POST /api/v4/commands/execute: the whole
 * model.CommandResponse struct, zero values included, in its field order.
 */
export function commandResponseJson(response: WireCommandResponse): Record<string, unknown> {
  return {
    response_type: response.response_type ?? '',
    text: response.text ?? '',
    username: response.username ?? '',
    channel_id: response.channel_id ?? '',
    icon_url: response.icon_url ?? '',
    type: response.type ?? '',
    props: response.props ?? null,
    goto_location: response.goto_location ?? '',
    trigger_id: response.trigger_id ?? '',
    skip_slack_parsing: response.skip_slack_parsing ?? false,
    attachments: response.attachments ?? null,
    extra_responses: response.extra_responses ?? null,
  };
}
