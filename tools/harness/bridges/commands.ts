// Slash commands as Rocket.Chat keeps them (apps/meteor/app/apps/server/bridges/commands.ts): a table
// of command name -> owning app, enabled or not. The engine's AppSlashCommandManager decides what to
// register; the harness consults this table to route runCommand() and to report unknown commands.

import type { ISlashCommand } from '@rocket.chat/apps-engine/definition/slashcommands';

import type { Engine } from '../engine';

export interface RegisteredCommand {
  appId: string;
  command: ISlashCommand;
  enabled: boolean;
}

export function createCommandBridge(engine: Engine, commands: Map<string, RegisteredCommand>) {
  const key = (command: string) => command.toLowerCase().trim();

  function registered(command: string, appId: string): RegisteredCommand {
    const entry = commands.get(key(command));
    if (!entry) {
      throw new Error(`Command does not exist in the system currently: ${command}`);
    }
    if (entry.appId !== appId) {
      throw new Error(`The command "${command}" belongs to another app`);
    }
    return entry;
  }

  class HarnessCommandBridge extends engine.bridges.CommandBridge {
    protected async doesCommandExist(command: string): Promise<boolean> {
      return commands.has(key(command));
    }

    protected async enableCommand(command: string, appId: string): Promise<void> {
      registered(command, appId).enabled = true;
    }

    protected async disableCommand(command: string, appId: string): Promise<void> {
      registered(command, appId).enabled = false;
    }

    protected async modifyCommand(command: ISlashCommand, appId: string): Promise<void> {
      registered(command.command, appId).command = command;
    }

    // Rocket.Chat overwrites an existing entry (the engine re-registers on every enable).
    protected async registerCommand(command: ISlashCommand, appId: string): Promise<void> {
      commands.set(key(command.command), { appId, command, enabled: true });
    }

    protected async unregisterCommand(command: string, appId: string): Promise<void> {
      const entry = commands.get(key(command));
      if (entry?.appId === appId) {
        commands.delete(key(command));
      }
    }
  }

  return new HarnessCommandBridge();
}
