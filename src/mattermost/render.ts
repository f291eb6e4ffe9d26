/**
 * The app's replies (src/app/reply.ts) as Mattermost posts: the sections as markdown text, the note
 * as an attachment footer, each link button as an interactive button. Mattermost has no link
 * button (model/integration_action.go knows "button" and "select", both posting to an integration),
 * so a button's URL rides in its signed, server-kept context and the click answers with the link
 * (see action-signing.ts and the action endpoint).
 */
import { textOf, type Reply } from '../app/reply';
import type { ActionSigner } from './action-signing';
import type { Attachment, CommandResponse, PostActionButton } from './wire';

export interface RenderOptions {
  signer: ActionSigner;
  /** The service's action endpoint. */
  actionUrl: string;
  /** Who the reply is for: only their clicks are honoured. */
  userId: string;
  now: number;
  /** How long a button works. */
  buttonTtlMs: number;
}

/** The message text and attachments of a reply. */
export function postOf(reply: Reply, options: RenderOptions): { message: string; attachments: Attachment[] } {
  const message = reply.sections.join('\n\n');
  const actions: PostActionButton[] = (reply.buttons ?? []).map((button) => ({
    id: actionIdOf(button.actionId),
    name: button.label,
    type: 'button',
    style: button.style ?? 'default',
    integration: {
      url: options.actionUrl,
      context: options.signer.context({
        action: button.actionId,
        userId: options.userId,
        expiresAt: options.now + options.buttonTtlMs,
        value: button.url,
        label: button.label,
      }),
    },
  }));
  const attachments: Attachment[] =
    actions.length || reply.note ? [{ ...(reply.note ? { footer: reply.note } : {}), ...(actions.length ? { actions } : {}) }] : [];
  return { message, attachments };
}

/** The command response for a command's replies: the first, and the rest as extra responses. */
export function commandResponseOf(replies: Reply[], options: RenderOptions): CommandResponse {
  const [first, ...rest] = replies.map((reply): CommandResponse => {
    const { message, attachments } = postOf(reply, options);
    return { response_type: 'ephemeral', text: message || textOf(reply), ...(attachments.length ? { attachments } : {}) };
  });
  if (!first) return { response_type: 'ephemeral', text: '' };
  return rest.length ? { ...first, extra_responses: rest } : first;
}

/**
 * Action ids are letters and digits only: the webapp puts them in a URL path
 * (`/api/v4/posts/{post_id}/actions/{action_id}`), where a hyphen is safe but other characters are not.
 */
function actionIdOf(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '');
}
