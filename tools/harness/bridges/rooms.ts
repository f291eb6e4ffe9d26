// Rooms are fixtures (harness.addRoom): apps can look them up and list members. An app can open a
// direct-message room with users, as Rocket.Chat's createDirectRoom does (the existing one when there
// is one); creating other rooms, changing or deleting rooms is not provided.

import type { IMessageRaw } from '@rocket.chat/apps-engine/definition/messages';
import { randomUUID } from 'node:crypto';
import type { IRoom, IRoomRaw } from '@rocket.chat/apps-engine/definition/rooms';
import type { IUser } from '@rocket.chat/apps-engine/definition/users';

import type { Engine } from '../engine';
import type { World } from '../world';
import { unsupported } from './unsupported';

export function createRoomBridge(engine: Engine, world: World) {
  const notProvided = (method: string) => unsupported('RoomBridge', method);

  class HarnessRoomBridge extends engine.bridges.RoomBridge {
    protected async getById(roomId: string): Promise<IRoom> {
      return world.roomById(roomId) as IRoom; // undefined for an unknown room, as in Rocket.Chat
    }

    protected async getByName(roomName: string): Promise<IRoom> {
      return world.roomByName(roomName) as IRoom;
    }

    protected async getCreatorById(roomId: string): Promise<IUser | undefined> {
      return world.roomById(roomId)?.creator;
    }

    protected async getCreatorByName(roomName: string): Promise<IUser | undefined> {
      return world.roomByName(roomName)?.creator;
    }

    protected async getDirectByUsernames(usernames: string[]): Promise<IRoom | undefined> {
      const ids = usernames.map((username) => world.userByUsername(username)?.id);
      if (ids.some((id) => !id)) return undefined;
      const room = world.directRoomOf(ids as string[]);
      return room && (world.roomById(room.id) as IRoom);
    }

    protected async getMembers(roomId: string): Promise<IUser[]> {
      return world.roomMembers(roomId);
    }

    protected async getModerators(): Promise<IUser[]> {
      return [];
    }

    protected async getOwners(roomId: string): Promise<IUser[]> {
      const creator = world.roomById(roomId)?.creator;
      return creator ? [creator] : [];
    }

    protected async getLeaders(): Promise<IUser[]> {
      return [];
    }

    protected async getUserUnreadMessageCount(): Promise<number> {
      return 0;
    }

    protected getAllRooms(): Promise<IRoomRaw[]> {
      return notProvided('getAllRooms');
    }

    protected async create(room: IRoom, members: string[]): Promise<string> {
      if ((room.type as string) !== 'd') return notProvided('create (other than a direct-message room)');
      const ids = members.map((username) => {
        const user = world.userByUsername(username);
        if (!user) throw new Error(`No user named ${username}`);
        return user.id;
      });
      const existing = world.directRoomOf(ids);
      if (existing) return existing.id;
      const id = `dm-${randomUUID()}`;
      world.addRoom({ id, name: members.join(', '), members: ids, type: 'd' });
      return id;
    }

    protected update(): Promise<void> {
      return notProvided('update');
    }

    protected createDiscussion(): Promise<string> {
      return notProvided('createDiscussion');
    }

    protected delete(): Promise<void> {
      return notProvided('delete');
    }

    protected getMessages(): Promise<IMessageRaw[]> {
      return notProvided('getMessages');
    }

    protected removeUsers(): Promise<void> {
      return notProvided('removeUsers');
    }

    protected getUnreadByUser(): Promise<IMessageRaw[]> {
      return notProvided('getUnreadByUser');
    }
  }

  return new HarnessRoomBridge();
}
