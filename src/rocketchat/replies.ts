/**
 * The app layer's replies (src/app/reply.ts) rendered for Rocket.Chat: ephemeral messages (only the
 * user sees them) made of UI Kit blocks, with link buttons.
 */
import type { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';
import type { ActionsBlock, ContextBlock, LayoutBlock, SectionBlock } from '@rocket.chat/ui-kit';
import { textOf, type Reply } from '../app/reply';
import { toEngine } from './engine-boundary';

export function blocksOf(appId: string, reply: Reply): LayoutBlock[] {
  const blocks: LayoutBlock[] = reply.sections.map((text, i): SectionBlock => ({
    type: 'section',
    appId,
    blockId: `section-${i}`,
    text: { type: 'mrkdwn', text },
  }));
  if (reply.note) {
    const note: ContextBlock = { type: 'context', appId, blockId: 'note', elements: [{ type: 'mrkdwn', text: reply.note }] };
    blocks.push(note);
  }
  if (reply.buttons?.length) {
    const actions: ActionsBlock = {
      type: 'actions',
      appId,
      blockId: 'actions',
      elements: reply.buttons.map((button) => ({
        type: 'button' as const,
        appId,
        blockId: 'actions',
        actionId: button.actionId,
        text: { type: 'plain_text' as const, text: button.label },
        url: button.url,
        style: button.style,
      })),
    };
    blocks.push(actions);
  }
  return blocks;
}

export async function sendEphemeral(args: { appId: string; read: IRead; modify: IModify; user: IUser; room: IRoom; reply: Reply }): Promise<void> {
  const { read, modify, user, room, reply } = args;
  const appUser = await read.getUserReader().getAppUser();
  const builder = modify
    .getNotifier()
    .getMessageBuilder()
    .setRoom(room)
    .setText(textOf(reply))
    .setBlocks(toEngine(blocksOf(args.appId, reply)));
  if (appUser) builder.setSender(appUser);
  await modify.getNotifier().notifyUser(user, builder.getMessage());
}
