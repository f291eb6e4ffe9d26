/**
 * Posts as the server makes them: stored posts (app/post.go CreatePost), ephemeral posts
 * (SendEphemeralPost: shown to one user, never stored, buttons carrying sealed cookies), and the
 * posts a command response turns into (app/command.go HandleCommandResponsePost, CreateCommandPost).
 */
import { AppError } from './errors';
import { newId } from './ids';
import { attachmentsOf, clientView, copy, emptyMetadata, type World } from './store';
import type { ServerAttachment, WireCommandResponse, WirePost } from './wire';

export interface NewPost {
  userId: string;
  channelId: string;
  message?: string;
  rootId?: string;
  type?: string;
  props?: Record<string, unknown>;
}

/** What a run of the server did that a user would see: posts in channels and ephemeral posts. */
export interface Shown {
  posts: WirePost[];
  ephemeral: Array<{ userId: string; post: WirePost }>;
}

export const nothingShown = (): Shown => ({ posts: [], ephemeral: [] });

const asPostType = (type: string): WirePost['type'] => type as WirePost['type'];

function basePost(world: World, input: NewPost): WirePost {
  const now = world.now();
  return {
    id: newId(),
    create_at: now,
    update_at: now,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: input.userId,
    channel_id: input.channelId,
    root_id: input.rootId ?? '',
    original_id: '',
    message: input.message ?? '',
    // Post types are whatever the server accepted; the union in @mattermost/types is not exhaustive.
    type: asPostType(input.type ?? ''),
    props: copy(input.props ?? {}),
    hashtags: '',
    pending_post_id: '',
    reply_count: 0,
    metadata: emptyMetadata(),
  };
}

/** Post.GenerateActionIds: a button without an id gets one, so a click can name it. */
function generateActionIds(post: WirePost): void {
  for (const attachment of attachmentsOf(post)) for (const action of attachment.actions ?? []) if (!action.id) action.id = newId();
}

/** CreatePost: stored, visible to the channel; the answer to the creator is the client view. */
export function createPost(world: World, input: NewPost, shown?: Shown): WirePost {
  const post = basePost(world, input);
  generateActionIds(post);
  world.posts.set(post.id, post);
  const record = world.channels.get(post.channel_id);
  if (record) record.channel.last_post_at = post.create_at;
  const view = clientView(post);
  shown?.posts.push(view);
  return view;
}

/**
 * SendEphemeralPost + AddPostActionCookies: type system_ephemeral, a fresh id, never stored; each
 * button carries a cookie sealing its integration, because a click on it cannot find the post later.
 */
export function sendEphemeral(world: World, userId: string, input: NewPost, shown?: Shown): WirePost {
  const post = basePost(world, { ...input, type: 'system_ephemeral' });
  generateActionIds(post);
  const retainProps: Record<string, unknown> = {};
  const removeProps: string[] = [];
  for (const key of RETAIN_PROP_KEYS) {
    if (key in post.props) retainProps[key] = post.props[key];
    else removeProps.push(key);
  }
  for (const attachment of attachmentsOf(post)) {
    for (const action of attachment.actions ?? []) {
      const cookie = {
        type: action.type,
        post_id: post.id,
        root_post_id: post.root_id === '' ? post.id : post.root_id,
        channel_id: post.channel_id,
        data_source: action.data_source,
        integration: action.integration,
        retain_props: retainProps,
        remove_props: removeProps,
      };
      action.cookie = world.sealCookie(JSON.stringify(cookie));
    }
  }
  const view = clientView(post);
  world.ephemeral.push({ userId, post: view });
  shown?.ephemeral.push({ userId, post: view });
  return view;
}

/** model.PostActionRetainPropKeys: kept across an `update` from an integration. */
export const RETAIN_PROP_KEYS = ['from_webhook', 'override_username', 'override_icon_url'];

/** ParseSlackLinksToMarkdown (model/message_attachment.go): `<url|text>` becomes `[text](url)`. */
export const slackLinksToMarkdown = (text: string) => text.replace(/<([^<|]+)\|([^>]+)>/g, '[$2]($1)');

/**
 * ProcessSlackText / ProcessMessageAttachments (app/slack.go), the parts a plain service meets:
 * `<!channel>`, `<!here>`, `<!all>` become mentions, `<@userid>` becomes `@username`.
 */
function processSlackText(world: World, text: string): string {
  return text.replace(/<!(channel|here|all)>/g, '@$1').replace(/<@([a-z0-9]{26})>/g, (whole, id: string) => {
    const user = world.users.get(id);
    return user ? `@${user.username}` : whole;
  });
}

/** ParseMessageAttachment: links in text, pretext and string field values; type slack_attachment. */
function parseAttachments(post: WirePost, attachments: ServerAttachment[]): void {
  if (post.type === '') post.type = 'slack_attachment';
  const parsed = copy(attachments).map((attachment) => ({
    ...attachment,
    text: attachment.text === undefined ? undefined : slackLinksToMarkdown(attachment.text),
    pretext: attachment.pretext === undefined ? undefined : slackLinksToMarkdown(attachment.pretext),
    fields: attachment.fields?.map((field) => (typeof field.value === 'string' ? { ...field, value: slackLinksToMarkdown(field.value) } : field)),
  }));
  post.props.attachments = parsed;
}

export interface CommandContext {
  userId: string;
  channelId: string;
  teamId: string;
  rootId: string;
  /** The trigger the user typed, for the error message; empty when answering through response_url. */
  trigger: string;
}

/**
 * HandleCommandResponse: the response and each of its extra_responses become posts; a failure of
 * any is reported once, as create_post_failed (500), after the others were posted.
 */
export function handleCommandResponse(world: World, context: CommandContext, response: WireCommandResponse, shown: Shown): AppError | undefined {
  let failed = false;
  for (const one of [response, ...(response.extra_responses ?? [])]) {
    if (handleCommandResponsePost(world, context, one, shown)) failed = true;
  }
  if (failed) return new AppError('api.command.execute_command.create_post_failed.app_error', 500, { Trigger: context.trigger });
  return undefined;
}

/** HandleCommandResponsePost + CreateCommandPost for a custom (not built-in) command. */
function handleCommandResponsePost(world: World, context: CommandContext, response: WireCommandResponse, shown: Shown): AppError | undefined {
  let channelId = context.channelId;
  if (response.channel_id) {
    // A response may move itself to another channel, only one the user is a member of.
    if (!world.isChannelMember(response.channel_id, context.userId)) return new AppError('api.command.command_post.forbidden.app_error', 403);
    channelId = response.channel_id;
  }
  // A custom command's answer is a bot post. EnablePostUsernameOverride and EnablePostIconOverride
  // are off by default, so `username` and `icon_url` in the response are ignored.
  const props: Record<string, unknown> = { ...(response.props ?? {}), from_webhook: 'true' };
  let text = response.text ?? '';
  let attachments = response.attachments;
  if (!response.skip_slack_parsing) {
    text = slackLinksToMarkdown(processSlackText(world, text));
    attachments = attachments?.map((attachment) => ({
      ...attachment,
      text: attachment.text === undefined ? undefined : processSlackText(world, attachment.text),
      pretext: attachment.pretext === undefined ? undefined : processSlackText(world, attachment.pretext),
    }));
  }
  const type = response.type ?? '';
  if (type.startsWith('system_')) return new AppError('api.context.invalid_param.app_error', 400, { Name: 'post.type' });

  const draft: NewPost = { userId: context.userId, channelId, rootId: context.rootId, message: text, type, props };
  if (attachments) {
    const holder = basePost(world, draft);
    parseAttachments(holder, attachments);
    draft.type = holder.type;
    draft.props = holder.props;
  }

  const responseType = response.response_type ?? '';
  if (responseType === 'in_channel') {
    // Posted as the user who typed the command (CreatePostMissingChannel).
    createPost(world, draft, shown);
  } else if ((responseType === '' || responseType === 'ephemeral') && (text !== '' || attachments !== undefined)) {
    sendEphemeral(world, context.userId, draft, shown);
  }
  return undefined;
}
