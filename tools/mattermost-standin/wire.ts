/**
 * What travels on the wire, typed with @mattermost/types where it describes it and defined here where
 * it does not (the slash-command form, the action request and answer, `integration`), with zod at each
 * edge where the stand-in receives JSON.
 */
import type {} from './browser-globals';
import type { Channel } from '@mattermost/types/channels';
import type { CommandResponse } from '@mattermost/types/integrations';
import type { PostAction } from '@mattermost/types/integration_actions';
import type { MessageAttachment } from '@mattermost/types/message_attachments';
import type { Post, PostType } from '@mattermost/types/posts';
import type { UserNotifyProps, UserProfile } from '@mattermost/types/users';
import { z } from 'zod';

export type { Channel } from '@mattermost/types/channels';
export type { Command } from '@mattermost/types/integrations';
export type { Team } from '@mattermost/types/teams';

/**
 * A user as the API answers: no password (Sanitize, model/user.go); another user's notify_props are
 * emptied (ClearNonProfileFields), hence Partial.
 */
export type WireUser = Omit<UserProfile, 'password' | 'notify_props'> & { notify_props: Partial<UserNotifyProps> };

/** @mattermost/types' PostType lacks `slack_attachment`, which ParseMessageAttachment sets. */
export type WirePost = Omit<Post, 'type'> & { type: PostType | 'slack_attachment' };

/** model.PostActionIntegration: where a click goes, and the context only the integration sees. */
export interface ActionIntegration {
  url?: string;
  context?: Record<string, unknown>;
}

/** A button as the server keeps it; clients get it without `integration` (StripActionIntegrations). */
export type ServerPostAction = Omit<PostAction, 'name'> & { name?: string; integration?: ActionIntegration };
export type ServerAttachment = Omit<MessageAttachment, 'actions'> & { actions?: ServerPostAction[]; ts?: string | number };

/** CommandResponse with every field optional: the integration sends what it wants (the note's advice). */
export type WireCommandResponse = Partial<Omit<CommandResponse, 'channel_id' | 'attachments' | 'extra_responses'>> & {
  channel_id?: string;
  attachments?: ServerAttachment[];
  extra_responses?: WireCommandResponse[];
};

/** model.PostActionIntegrationRequest, in its JSON field order (app/integration_action.go sends it). */
export interface ActionRequest {
  user_id: string;
  user_name: string;
  channel_id: string;
  channel_name: string;
  team_id: string;
  team_domain: string;
  post_id: string;
  trigger_id: string;
  type: string;
  data_source: string;
  context?: Record<string, unknown>;
}

export type DirectChannel = Channel & { type: 'D' };

// ---- zod at the edges. Go's json.Unmarshal into a struct drops unknown fields, reads null as the
// ---- zero value and refuses a wrong type; z.object with these fields does the same.

const notNull = <T>(value: T | null): value is T => value !== null;
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);
const text = optional(z.string());

const integrationSchema = z.object({ url: text, context: optional(z.record(z.string(), z.unknown())) });

/** model.PostAction. */
const actionSchema = z.object({
  id: text,
  type: text,
  name: text,
  tooltip: text,
  disabled: optional(z.boolean()),
  style: text,
  data_source: text,
  options: optional(z.array(z.object({ text: z.string(), value: z.string() }))),
  default_option: text,
  integration: optional(integrationSchema),
});

/** model.SlackCompatibleBool accepts true/false and "true"/"false". */
const slackBool = optional(z.union([z.boolean(), z.string()]).transform((value) => value === true || value === 'true'));

/** model.MessageAttachment (model/message_attachment.go). */
const attachmentSchema = z.object({
  fallback: text,
  color: text,
  pretext: text,
  author_name: text,
  author_link: text,
  author_icon: text,
  title: text,
  title_link: text,
  text,
  fields: optional(z.array(z.object({ title: text, value: z.unknown(), short: slackBool }).nullable())).transform((fields) => fields?.filter(notNull)),
  image_url: text,
  thumb_url: text,
  footer: text,
  footer_icon: text,
  ts: optional(z.union([z.string(), z.number()])),
  actions: optional(z.array(actionSchema)),
});

const baseResponseSchema = z.object({
  response_type: text,
  text,
  username: text,
  channel_id: text,
  icon_url: text,
  type: text,
  props: optional(z.record(z.string(), z.unknown())),
  goto_location: text,
  trigger_id: text,
  skip_slack_parsing: optional(z.boolean()),
  // Null entries are dropped (StringifySlackFieldValue skips nil attachments).
  attachments: optional(z.array(attachmentSchema.nullable())).transform((list) => list?.filter(notNull)),
});

/** model.CommandResponse as json.Unmarshal reads it (model/command_response.go CommandResponseFromJSON). */
export const commandResponseSchema: z.ZodType<WireCommandResponse> = baseResponseSchema.extend({
  extra_responses: z.lazy(() => optional(z.array(commandResponseSchema))),
});

/** model.PostActionIntegrationResponse: `{update, ephemeral_text, skip_slack_parsing}`. */
export const actionResponseSchema = z.object({
  update: optional(z.object({ message: text, props: optional(z.record(z.string(), z.unknown())) })),
  ephemeral_text: text,
  skip_slack_parsing: optional(z.boolean()),
});

/** A post a client sends to POST /api/v4/posts (and inside /posts/ephemeral). */
export const postBodySchema = z.object({
  channel_id: optional(z.string()),
  message: optional(z.string()),
  root_id: optional(z.string()),
  type: optional(z.string()),
  props: optional(z.record(z.string(), z.unknown())),
});

export const ephemeralBodySchema = z.object({
  user_id: optional(z.string()),
  post: optional(postBodySchema),
});

/** model.Command fields a client may set on POST /api/v4/commands. */
export const commandBodySchema = z.object({
  id: optional(z.string()),
  team_id: optional(z.string()),
  trigger: optional(z.string()),
  url: optional(z.string()),
  method: optional(z.string()),
  creator_id: optional(z.string()),
  username: optional(z.string()),
  icon_url: optional(z.string()),
  auto_complete: optional(z.boolean()),
  auto_complete_desc: optional(z.string()),
  auto_complete_hint: optional(z.string()),
  display_name: optional(z.string()),
  description: optional(z.string()),
});

/** model.CommandArgs fields POST /api/v4/commands/execute reads. */
export const executeBodySchema = z.object({
  command: optional(z.string()),
  channel_id: optional(z.string()),
  team_id: optional(z.string()),
  root_id: optional(z.string()),
});

/** model.DoPostActionRequest. */
export const doActionBodySchema = z.object({
  selected_option: optional(z.string()),
  cookie: optional(z.string()),
});

export const stringArraySchema = z.array(z.string());
