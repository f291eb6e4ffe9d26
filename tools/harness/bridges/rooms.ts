// Rooms are read-only fixtures (harness.addRoom): apps can look them up and list members; creating,
// changing or deleting rooms is not provided.

import type { IMessageRaw } from '@rocket.chat/apps-engine/definition/messages';
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

    protected async getDirectByUsernames(): Promise<IRoom | undefined> {
      return undefined; // fixtures are channels; there are no direct-message rooms
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

    protected create(): Promise<string> {
      return notProvided('create');
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
