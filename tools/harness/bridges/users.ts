// Users with Rocket.Chat's semantics (apps/meteor/app/apps/server/bridges/users.ts). Test fixtures are
// added by the harness; the engine creates one "app" user per app at install
// (AppManager.createAppUser: `<nameSlug>.bot`, type app, role app) and finds it again by app id.

import type { IUser, IUserCreationOptions, UserType } from '@rocket.chat/apps-engine/definition/users';

import type { Engine } from '../engine';
import type { World } from '../world';
import { unsupported } from './unsupported';

export function createUserBridge(engine: Engine, world: World) {
  class HarnessUserBridge extends engine.bridges.UserBridge {
    protected async getById(id: string): Promise<IUser> {
      return world.userById(id) as IUser; // Rocket.Chat answers undefined for an unknown id, too
    }

    protected async getByUsername(username: string): Promise<IUser> {
      return world.userByUsername(username) as IUser;
    }

    protected async getAppUser(appId?: string): Promise<IUser | undefined> {
      return appId ? world.appUser(appId) : undefined;
    }

    protected async getActiveUserCount(): Promise<number> {
      return [...world.users.values()].filter((user) => user.isEnabled && user.type === 'user').length;
    }

    protected async getUserUnreadMessageCount(): Promise<number> {
      return 0;
    }

    protected async getUserRoomIds(userId: string): Promise<string[]> {
      return [...world.rooms.values()].filter((room) => room.members.includes(userId)).map((room) => room.id);
    }

    protected async create(data: Partial<IUser>, appId: string, _options?: IUserCreationOptions): Promise<string> {
      if (data.type !== 'app' && data.type !== 'bot') {
        throw new Error('Creating normal users is currently not supported');
      }
      if (!data.username || world.userByUsername(data.username)) {
        throw new Error(`The username "${data.username}" is already being used. Rename or remove the user using it to install this App`);
      }
      return world.addUser({
        id: data.id ?? world.newId(),
        username: data.username,
        name: data.name,
        roles: data.roles,
        type: data.type,
        appId: data.appId ?? appId,
      });
    }

    protected async remove(user: IUser): Promise<boolean> {
      if (user) {
        world.users.delete(user.id);
      }
      return true;
    }

    protected async update(user: IUser, updates: Partial<IUser>): Promise<boolean> {
      const stored = world.users.get(user.id);
      if (!stored) {
        throw new Error('User not provided');
      }
      if (updates.name !== undefined) {
        stored.name = updates.name;
      }
      if (updates.roles !== undefined) {
        stored.roles = [...updates.roles];
      }
      stored.updatedAt = new Date();
      return true;
    }

    protected async deleteUsersCreatedByApp(appId: string, type: UserType.APP | UserType.BOT): Promise<boolean> {
      const created = [...world.users.values()].filter((user) => user.appId === appId && user.type === type);
      created.forEach((user) => world.users.delete(user.id));
      return created.length > 0;
    }

    protected deactivate(): Promise<boolean> {
      return unsupported('UserBridge', 'deactivate');
    }
  }

  return new HarnessUserBridge();
}
