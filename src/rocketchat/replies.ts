/**
 * The app layer's replies (src/app/reply.ts) rendered for Rocket.Chat: ephemeral messages (only the
 * user sees them) made of UI Kit blocks, with link buttons.
 */
import type { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RoomType, type IRoom } from '@rocket.chat/apps-engine/definition/rooms';
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
  const appUser = await appUserOf(read);
  const builder = modify
    .getNotifier()
    .getMessageBuilder()
    .setRoom(room)
    .setText(textOf(reply))
    .setBlocks(toEngine(blocksOf(args.appId, reply)));
  if (appUser) builder.setSender(appUser);
  await modify.getNotifier().notifyUser(user, builder.getMessage());
}

/** A message from the app's user, kept in the room (unlike an ephemeral one): read when the user comes back. */
export async function postMessage(args: { appId: string; modify: IModify; sender: IUser; room: IRoom; reply: Reply }): Promise<void> {
  const { modify, reply } = args;
  const builder = modify
    .getCreator()
    .startMessage()
    .setRoom(args.room)
    .setSender(args.sender)
    .setText(textOf(reply))
    .setBlocks(toEngine(blocksOf(args.appId, reply)));
  await modify.getCreator().finish(builder);
}

/** The direct-message room between the app's user and this user, created when there is none yet. */
export async function directRoomWith(read: IRead, modify: IModify, userId: string): Promise<string | undefined> {
  const [appUser, user] = await Promise.all([appUserOf(read), read.getUserReader().getById(userId)]);
  if (!appUser || !user) return undefined;
  const usernames = [appUser.username, user.username];
  const existing = await read.getRoomReader().getDirectByUsernames(usernames);
  if (existing) return existing.id;
  const builder = modify.getCreator().startRoom().setType(RoomType.DIRECT_MESSAGE).setCreator(appUser).setMembersToBeAddedByUsernames(usernames);
  return modify.getCreator().finish(builder);
}

/** The app's own user, the sender of its messages: made when the app is installed, the same for its whole life. */
let appUser: IUser | undefined;

export async function appUserOf(read: IRead): Promise<IUser | undefined> {
  appUser ??= await read.getUserReader().getAppUser();
  return appUser;
}
