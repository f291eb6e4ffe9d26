/**
 * A click on an interactive button (api4/action.go doPostAction, app/integration_action.go
 * DoPostActionWithCookie and DoActionRequest): the server POSTs the action request JSON to the
 * button's integration URL with no authentication, then applies the answer's `update` to the post and
 * shows its `ephemeral_text` to the user who clicked.
 */
import { AppError, permissionError } from './errors';
import { newId } from './ids';
import { OutgoingError, send } from './outgoing';
import { canReadChannel } from './permissions';
import { RETAIN_PROP_KEYS, nothingShown, sendEphemeral, slackLinksToMarkdown, type Shown } from './posts';
import { attachmentsOf, clientView, type World } from './store';
import type { z } from 'zod';
import { actionResponseSchema, type ActionIntegration, type ActionRequest, type WirePost } from './wire';

export interface ActionInput {
  userId: string;
  postId: string;
  actionId: string;
  /** The sealed cookie an ephemeral post's button carries; absent for a stored post. */
  cookie?: string;
  selectedOption?: string;
}

export interface ActionOutcome {
  /** PostActionAPIResponse, on success. */
  result?: { status: 'OK'; trigger_id: string };
  error?: AppError;
  /** What the integration was sent, when it was reached. */
  sent?: { url: string; headers: Record<string, string>; request: ActionRequest };
  shown: Shown;
}

interface Cookie {
  type?: string;
  post_id?: string;
  root_post_id?: string;
  channel_id?: string;
  data_source?: string;
  integration?: ActionIntegration;
  retain_props?: Record<string, unknown>;
  remove_props?: string[];
}

/** The route's own pattern (`/actions/{action_id:[A-Za-z0-9]+}`): any other id never reaches the handler. */
export const ACTION_ID_PATTERN = /^[A-Za-z0-9]+$/;

export async function doPostAction(world: World, input: ActionInput): Promise<ActionOutcome> {
  const shown = nothingShown();
  const fail = (error: AppError): ActionOutcome => ({ error, shown });
  const subject = world.subject(input.userId);

  let cookie: Cookie | undefined;
  if (input.cookie) {
    const opened = world.openCookie(input.cookie);
    if (opened === undefined) return fail(new AppError('api.post.do_action.action_integration.app_error', 400, {}, 'cookie'));
    // Sealed by this server (sendEphemeral), so its shape is known.
    cookie = JSON.parse(opened) as Cookie;
    const channel = world.channel(cookie.channel_id ?? '');
    if (!channel) return fail(new AppError('app.channel.get.existing.app_error', 404, { channel_id: cookie.channel_id ?? '' }));
    if (!canReadChannel(subject, channel)) return fail(permissionError(input.userId, 'read_channel_content'));
  } else {
    const post = world.posts.get(input.postId);
    if (!canReadChannel(subject, post ? world.channel(post.channel_id) : undefined)) {
      return fail(permissionError(input.userId, 'read_channel_content'));
    }
  }

  // DoPostActionWithCookie: a stored post wins over any cookie.
  const stored = world.posts.get(input.postId);
  let integration: ActionIntegration | undefined;
  let type = '';
  let dataSource = '';
  let channelId: string;
  let rootPostId: string;
  let retain: Record<string, unknown> = {};
  let remove: string[] = [];
  if (stored) {
    const action = attachmentsOf(stored)
      .flatMap((attachment) => attachment.actions ?? [])
      .find((candidate) => candidate.id === input.actionId);
    if (!action || !action.integration) return fail(new AppError('api.post.do_action.action_id.app_error', 404));
    integration = action.integration;
    type = action.type ?? '';
    dataSource = action.data_source ?? '';
    channelId = stored.channel_id;
    rootPostId = stored.root_id === '' ? stored.id : stored.root_id;
    for (const key of RETAIN_PROP_KEYS) {
      if (key in stored.props) retain[key] = stored.props[key];
      else remove.push(key);
    }
  } else if (cookie) {
    if (!cookie.integration) return fail(new AppError('api.post.do_action.action_integration.app_error', 400, {}, 'no Integration in action cookie'));
    if (cookie.post_id !== input.postId) return fail(new AppError('api.post.do_action.action_integration.app_error', 400, {}, "postId doesn't match"));
    integration = cookie.integration;
    type = cookie.type ?? '';
    dataSource = cookie.data_source ?? '';
    channelId = cookie.channel_id ?? '';
    rootPostId = cookie.root_post_id ?? '';
    retain = cookie.retain_props ?? {};
    remove = cookie.remove_props ?? [];
  } else {
    return fail(new AppError('app.post.get.app_error', 404));
  }

  const channel = world.channel(channelId);
  const user = world.users.get(input.userId);
  if (!user) return fail(new AppError('app.user.missing_account.const', 404));
  const team = channel && channel.team_id !== '' ? world.teams.get(channel.team_id)?.team : undefined;
  const { clientTriggerId, triggerId } = world.triggerId(input.userId);
  const request: ActionRequest = {
    user_id: input.userId,
    user_name: user.username,
    channel_id: channelId,
    channel_name: channel?.name ?? '',
    team_id: channel?.team_id ?? '',
    team_domain: team?.name ?? '',
    post_id: input.postId,
    trigger_id: triggerId,
    type,
    data_source: '',
  };
  const context = integration.context === undefined ? undefined : { ...integration.context };
  if (type === 'select' && input.selectedOption) {
    request.data_source = dataSource;
    request.context = { ...(context ?? {}), selected_option: input.selectedOption };
  } else if (context !== undefined) {
    request.context = context;
  }

  // DoActionRequest: JSON, no credentials; anything but 200 is an integration error for the client.
  const url = integration.url ?? '';
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const sent = { url, headers, request };
  const integrationError = (detail: string) => new AppError('api.post.do_action.action_integration.app_error', 400, {}, detail);
  let answer;
  try {
    answer = await send({
      method: 'POST',
      url,
      headers,
      body: JSON.stringify(request),
      timeoutMs: world.settings.integrationTimeoutMs,
      limit: Number.MAX_SAFE_INTEGER,
      allowedInternal: world.settings.allowedUntrustedInternalConnections,
    });
  } catch (error) {
    world.log.push({ at: world.now(), direction: 'out', method: 'POST', url, status: 0 });
    return { error: integrationError(`err=${error instanceof OutgoingError ? error.message : String(error)}`), shown, sent };
  }
  world.log.push({ at: world.now(), direction: 'out', method: 'POST', url, status: answer.status });
  if (answer.status !== 200) return { error: integrationError(`status=${answer.status}`), shown, sent };

  let response: Partial<z.infer<typeof actionResponseSchema>> = {};
  if (answer.body.length > 0) {
    try {
      const parsed = actionResponseSchema.safeParse(JSON.parse(answer.body.toString('utf8')));
      if (!parsed.success) return { error: integrationError(parsed.error.message), shown, sent };
      response = parsed.data;
    } catch (error) {
      return { error: integrationError(String(error)), shown, sent };
    }
  }

  if (response.update) {
    // UpdatePost looks the post up in the database: an ephemeral post is not there.
    if (!stored) return { error: new AppError('app.post.get.app_error', 404), shown, sent };
    applyUpdate(world, stored, response.update, retain, remove, shown);
  }
  if (response.ephemeral_text) {
    const message = response.skip_slack_parsing ? response.ephemeral_text : slackLinksToMarkdown(response.ephemeral_text);
    sendEphemeral(world, input.userId, { userId: input.userId, channelId, rootId: rootPostId, message, props: { ...retain } }, shown);
  }
  return { result: { status: 'OK', trigger_id: clientTriggerId }, shown, sent };
}

/**
 * The `update` of an action answer: UpdatePost replaces the message (an update without one empties
 * it) and the props (none given: the old ones stay), keeping from_webhook and the overrides as they were.
 */
function applyUpdate(
  world: World,
  post: WirePost,
  update: { message?: string; props?: Record<string, unknown> },
  retain: Record<string, unknown>,
  remove: string[],
  shown: Shown,
): void {
  if (update.props !== undefined) {
    const props = { ...update.props, ...retain };
    for (const key of remove) delete props[key];
    post.props = props;
    for (const attachment of attachmentsOf(post)) for (const action of attachment.actions ?? []) if (!action.id) action.id = newId();
  }
  const message = update.message ?? '';
  if (message !== post.message) post.edit_at = world.now();
  post.message = message;
  post.update_at = world.now();
  shown.posts.push(clientView(post));
}
