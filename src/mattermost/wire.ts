/**
 * What Mattermost sends the service and what it reads back, validated here at the edge. The shapes
 * come from the server source (server/channels/app/command.go, server/public/model/command_response.go,
 * server/public/model/integration_action.go); `@mattermost/types` has no type for the slash-command
 * form or the action request, so they are defined here.
 */
import type { PostAction } from '@mattermost/types/integration_actions';
import type { CommandResponse as MattermostCommandResponse } from '@mattermost/types/integrations';
import type { MessageAttachment } from '@mattermost/types/message_attachments';
import * as z from 'zod/mini';
import '../core/zod-messages';

/** Mattermost ids: 26 lowercase base32 characters (model.NewId); the stand-in and older servers agree. */
const id = z.string().check(z.regex(/^[a-z0-9]{26}$/));
const short = z.string().check(z.maxLength(256));

/**
 * A slash command's form (command.go, `doCommandRequest`: application/x-www-form-urlencoded with
 * `token`, `team_id`, `channel_id`, `user_id`, `user_name`, `command`, `text`, `response_url`,
 * `trigger_id`, and the team and channel names).
 */
export const slashCommandForm = z.object({
  token: z.string().check(z.minLength(1), z.maxLength(128)),
  team_id: id,
  team_domain: z.optional(short),
  channel_id: id,
  channel_name: z.optional(short),
  user_id: id,
  user_name: z.optional(short),
  command: short,
  text: z._default(z.string().check(z.maxLength(4000)), ''),
  response_url: z.optional(z.string().check(z.maxLength(2048))),
  trigger_id: z.optional(z.string().check(z.maxLength(2048))),
});
export type SlashCommandForm = z.infer<typeof slashCommandForm>;

/** A button click (model.PostActionIntegrationRequest); `context` is what the service put in the button. */
export const actionRequest = z.object({
  user_id: id,
  user_name: z.optional(short),
  channel_id: z.optional(z.string().check(z.maxLength(64))),
  team_id: z.optional(z.string().check(z.maxLength(64))),
  post_id: z.optional(z.string().check(z.maxLength(64))),
  type: z.optional(short),
  context: z.optional(z.record(z.string(), z.unknown())),
});
export type ActionRequest = z.infer<typeof actionRequest>;

/**
 * A button on a post: what clients see (`PostAction`), and the `integration` the server keeps and
 * strips from what it sends them (model.PostAction), which @mattermost/types leaves out.
 */
export type PostActionButton = PostAction & {
  id: string;
  type: 'button';
  style?: 'default' | 'primary' | 'danger';
  integration: { url: string; context: Record<string, unknown> };
};

/** A message attachment (model.SlackAttachment) with the service's buttons. */
export type Attachment = Omit<MessageAttachment, 'actions'> & { actions?: PostActionButton[] };

/**
 * A command response (model.CommandResponse). `@mattermost/types` declares every field required
 * and `channel_id` wrongly, so the service writes its own partial shape. Ephemeral: only the user
 * who typed the command sees it; `in_channel` would post it as that user, never wanted here.
 */
export type CommandResponse = Partial<Pick<MattermostCommandResponse, 'skip_slack_parsing'>> & {
  response_type: 'ephemeral';
  text: MattermostCommandResponse['text'];
  attachments?: Attachment[];
  /** Further replies of the same command, shown after the first (model.CommandResponse.ExtraResponses). */
  extra_responses?: CommandResponse[];
};

/** The answer to a button click (model.PostActionIntegrationResponse): it has no redirect, only text. */
export interface ActionResponse {
  ephemeral_text?: string;
  skip_slack_parsing?: boolean;
}

/** A REST API error body (model.AppError as JSON). */
export const apiError = z.object({
  id: z.optional(z.string()),
  message: z.optional(z.string()),
  status_code: z.optional(z.number()),
});

/** A user as GET /api/v4/users/{id} returns them (model.User, sanitized), the fields the service reads. */
export const mattermostUser = z.object({
  id,
  username: z.string(),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  nickname: z.optional(z.string()),
  locale: z.optional(z.string()),
  roles: z.optional(z.string()),
  is_bot: z.optional(z.boolean()),
  delete_at: z.optional(z.number()),
});
export type MattermostUser = z.infer<typeof mattermostUser>;

export const mattermostChannel = z.object({ id, type: z.optional(z.string()) });
