/**
 * Mattermost's error shape. Every failure the server reports is a model.AppError
 * (server/public/model/utils.go) written by web/handlers.go `handleContextError` as JSON:
 * `{id, message, detailed_error, request_id, status_code}`, with the message translated from
 * server/i18n/en.json and `detailed_error` wiped unless ServiceSettings.EnableDeveloper is on (off by
 * default). Client4 reads `message`, `id`, `status_code` and `detailed_error` from that body.
 */

/** The JSON body of an error answer, field for field (`request_id`, `status_code` are omitempty). */
export interface AppErrorBody {
  id: string;
  message: string;
  detailed_error: string;
  request_id?: string;
  status_code: number;
}

/** The English texts (server/i18n/en.json) of the errors the stand-in can answer. */
const MESSAGES: Record<string, string> = {
  'api.context.404.app_error': 'Sorry, we could not find the page.',
  'api.context.session_expired.app_error': 'Invalid or expired session, please login again.',
  'api.context.permissions.app_error': 'You do not have the appropriate permissions.',
  'api.context.invalid_body_param.app_error': 'Invalid or missing {{.Name}} in request body.',
  'api.context.invalid_url_param.app_error': 'Invalid or missing {{.Name}} parameter in request URL.',
  'api.context.request_body_too_large.app_error': 'Unable to process request. Request body too large.',
  'api.channel.create_direct_channel.invalid_user.app_error': 'Invalid user ID for direct channel creation.',
  'api.command.duplicate_trigger.app_error': 'This trigger word is already in use. Please choose another word.',
  'api.command.command_post.forbidden.app_error': 'Specified user is not a member of specified channel.',
  'api.command.execute_command.create_post_failed.app_error': "Command '{{.Trigger}}' failed to post response. Please contact your System Administrator.",
  'api.command.execute_command.deleted.error': 'Can not run command in deleted channel.',
  'api.command.execute_command.failed.app_error': "Command with a trigger of '{{.Trigger}}' failed.",
  'api.command.execute_command.failed_empty.app_error': "Command with a trigger of '{{.Trigger}}' returned an empty response.",
  'api.command.execute_command.failed_resp.app_error': "Command with a trigger of '{{.Trigger}}' returned response {{.Status}}.",
  'api.command.execute_command.not_found.app_error':
    'Command with a trigger of \'{{.Trigger}}\' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.',
  'api.command.execute_command.start.app_error': 'No command trigger found.',
  'api.context.invalid_param.app_error': 'Invalid {{.Name}} parameter.',
  'api.post.create_post.can_not_post_to_deleted.error': 'Can not post to deleted channel.',
  'api.post.do_action.action_id.app_error': 'Invalid action id.',
  'api.post.do_action.action_integration.app_error': 'Action integration error.',
  'app.channel.get.existing.app_error': 'Unable to find the existing channel {{.channel_id}}.',
  'app.command_webhook.get.missing': 'Unable to find the webhook.',
  'app.command_webhook.handle_command_webhook.parse': 'Unable to parse incoming data.',
  'app.command_webhook.try_use.invalid': 'Invalid webhook.',
  'app.post.get.app_error': 'Unable to get the post.',
  'app.team.get.find.app_error': 'Unable to find the existing team.',
  'app.user.missing_account.const': 'Unable to find the user.',
  'app.user.get_by_username.app_error':
    'Unable to find an existing account matching your username for this team. This team may require an invite from the team owner to join.',
  'api.context.json_encoding.app_error': 'Error encoding JSON.',
  'model.command.is_valid.description.app_error': 'Invalid description.',
  'model.command.is_valid.display_name.app_error': 'Invalid title.',
  'model.command.is_valid.method.app_error': 'Invalid Method.',
  'model.command.is_valid.team_id.app_error': 'Invalid team ID.',
  'model.command.is_valid.trigger.app_error': 'Invalid trigger.',
  'model.command.is_valid.url.app_error': 'Invalid URL.',
  'model.command.is_valid.url_http.app_error': 'Invalid URL. Must be a valid URL and start with http:// or https://.',
  'store.sql_command.save.get.app_error': 'Unable to get the command.',
  'web.command_webhook.command.app_error': "Couldn't find the command {{.command_id}}.",
  'web.command_webhook.parse.app_error': 'Unable to parse incoming data for webhook {{.hook_id}}.',
};

/** A failure as the server raises it: translated id, HTTP status, the detail only developers see. */
export class AppError extends Error {
  constructor(
    readonly id: string,
    readonly status: number,
    params: Record<string, string> = {},
    readonly detailed = '',
  ) {
    // AppError.Translate: an id without a translation shows as itself.
    super((MESSAGES[id] ?? id).replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_all, name: string) => params[name] ?? ''));
  }

  /** The body handleContextError writes: detail only in developer mode, as EnableDeveloper decides. */
  body(requestId: string | undefined, developerMode: boolean): AppErrorBody {
    // Field order as model.AppError serializes; request_id is omitempty.
    return {
      id: this.id,
      message: this.message,
      detailed_error: developerMode ? this.detailed : '',
      ...(requestId ? { request_id: requestId } : {}),
      status_code: this.status,
    };
  }
}

/** SessionRequired and an unknown token (web/handlers.go, web/context.go): 401, whatever the route. */
export const sessionExpired = (detail: string) => new AppError('api.context.session_expired.app_error', 401, {}, detail);

/** MakePermissionError (app/authorization.go): 403 naming the missing permission in the detail. */
export const permissionError = (userId: string, ...permissions: string[]) =>
  new AppError('api.context.permissions.app_error', 403, {}, `userId=${userId}, permission=${permissions.map((p) => `${p},`).join('')}`);

/** web/context.go SetInvalidParam: a missing or malformed body field. */
export const invalidBodyParam = (name: string, detail = '') => new AppError('api.context.invalid_body_param.app_error', 400, { Name: name }, detail);

/** web/context.go SetInvalidURLParam: an id in the path that is not a Mattermost id. */
export const invalidUrlParam = (name: string) => new AppError('api.context.invalid_url_param.app_error', 400, { Name: name });

/** api4/api.go: a route the server does not have. */
export const routeNotFound = () => new AppError('api.context.404.app_error', 404);
