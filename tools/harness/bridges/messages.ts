// Messages with Rocket.Chat's semantics (apps/meteor/app/apps/server/bridges/messages.ts): create posts
// to a room, notifyUser is an ephemeral message only that user sees, notifyRoom an ephemeral message to
// each member. Every message is recorded with its text and UI Kit blocks for tests to inspect.

import type { IMessage } from '@rocket.chat/apps-engine/definition/messages';
import type { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';

import type { Engine } from '../engine';
import type { SentMessage, World } from '../world';
import { unsupported } from './unsupported';

export function createMessageBridge(engine: Engine, world: World) {
  function record(kind: SentMessage['kind'], message: IMessage, appId: string, toUserId?: string): SentMessage {
    const roomId = message.room?.id;
    if (!roomId || !world.rooms.has(roomId)) {
      throw new Error(`The room "${roomId}" does not exist`);
    }
    const sent: SentMessage = {
      kind,
      id: message.id ?? world.newId(),
      appId,
      roomId,
      toUserId,
      senderId: message.sender?.id,
      text: message.text,
      blocks: message.blocks ? structuredClone(message.blocks) : undefined,
      raw: message,
    };
    world.recordMessage(sent);
    return sent;
  }

  class HarnessMessageBridge extends engine.bridges.MessageBridge {
    protected async create(message: IMessage, appId: string): Promise<string> {
      return record('room', message, appId).id;
    }

    protected async update(message: IMessage): Promise<void> {
      if (!message.editor) {
        throw new Error('Invalid editor assigned to the message for the update.');
      }
      const existing = world.messages.find((sent) => sent.kind === 'room' && sent.id === message.id);
      if (!existing) {
        throw new Error('A message must exist to update.');
      }
      Object.assign(existing, { text: message.text, blocks: message.blocks ? structuredClone(message.blocks) : undefined, raw: message });
    }

    protected async notifyUser(user: IUser, message: IMessage, appId: string): Promise<void> {
      record('ephemeral', message, appId, user.id);
    }

    protected async notifyRoom(room: IRoom, message: IMessage, appId: string): Promise<void> {
      for (const member of world.roomMembers(room.id)) {
        record('ephemeral', { ...message, room }, appId, member.id);
      }
    }

    protected async typing(): Promise<void> {
      // Typing indicators leave no trace worth recording.
    }

    protected async getById(messageId: string): Promise<IMessage> {
      const sent = world.messages.find((candidate) => candidate.kind === 'room' && candidate.id === messageId);
      if (!sent) {
        throw new Error(`Message ${messageId} not found`);
      }
      return { ...sent.raw, id: sent.id };
    }

    protected async delete(message: IMessage): Promise<void> {
      const index = world.messages.findIndex((sent) => sent.kind === 'room' && sent.id === message.id);
      if (index === -1) {
        throw new Error('Invalid message id');
      }
      world.messages.splice(index, 1);
    }

    protected addReaction(): Promise<void> {
      return unsupported('MessageBridge', 'addReaction');
    }

    protected removeReaction(): Promise<void> {
      return unsupported('MessageBridge', 'removeReaction');
    }
  }

  return new HarnessMessageBridge();
}
