/**
 * The i18n keys the Apps-Engine translates for the app, rather than the app itself: each setting's
 * label, description, alert, placeholder, section and choices, and the slash command's description
 * and parameters example. Rocket.Chat reads them from the zip's i18n/<lang>.json; everything else
 * the app says it translates itself, from the dictionaries bundled into the class file
 * (src/app/i18n.ts). `npm run package` ships each key in one place only (scripts/package.mjs).
 *
 * Derived, not listed: the App's own `extendConfiguration` runs against a configuration that records
 * what it is given, exactly what the engine is given at install. An extension this does not know the
 * texts of (a UI button, say) stops the packaging rather than shipping its label nowhere.
 */
import type { IConfigurationExtend, IEnvironmentRead, ILogger } from '@rocket.chat/apps-engine/definition/accessors';
import type { IAppInfo } from '@rocket.chat/apps-engine/definition/metadata';
import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { ISlashCommand } from '@rocket.chat/apps-engine/definition/slashcommands';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuthApp } from '../../src/OAuthApp';

/** What the App provides that carries texts, as the engine receives it. */
export interface ProvidedTexts {
  settings: ISetting[];
  slashCommands: ISlashCommand[];
}

/** Extensions that carry no text the engine translates. */
const TEXTLESS = new Set(['api', 'http']);

export async function providedTexts(projectDir: string): Promise<ProvidedTexts> {
  const info = JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8')) as IAppInfo;
  const provided: ProvidedTexts = { settings: [], slashCommands: [] };
  const recorders: Record<string, object> = {
    settings: { provideSetting: async (setting: ISetting) => void provided.settings.push(setting) },
    slashCommands: { provideSlashCommand: async (command: ISlashCommand) => void provided.slashCommands.push(command) },
  };
  const ignored = new Proxy({}, { get: () => async () => undefined });
  const configuration = new Proxy({} as IConfigurationExtend, {
    get(_target, member: string) {
      if (member in recorders) return recorders[member];
      if (TEXTLESS.has(member)) return ignored;
      throw new Error(`tools/package/engine-texts.ts does not know which texts the app's configuration.${member} carries: teach it before packaging`);
    },
  });
  const environment = new Proxy({} as IEnvironmentRead, {
    get(_target, member: string) {
      throw new Error(`extendConfiguration read environmentRead.${member}: its texts would depend on a server, which packaging has not`);
    },
  });
  const quiet: ILogger = new Proxy({} as ILogger, { get: () => () => undefined });
  const app = new OAuthApp(info, quiet, {} as never);
  await (app as unknown as { extendConfiguration(c: IConfigurationExtend, e: IEnvironmentRead): Promise<void> }).extendConfiguration(
    configuration,
    environment,
  );
  return provided;
}

/** The keys of `provided` the engine translates, each once, in the order given. */
export function engineTextKeysOf(provided: ProvidedTexts): string[] {
  const keys = [
    ...provided.settings.flatMap((setting) => [
      setting.i18nLabel,
      setting.i18nDescription,
      setting.i18nAlert,
      setting.i18nPlaceholder,
      setting.section,
      ...(setting.values ?? []).map((value) => value.i18nLabel),
    ]),
    ...provided.slashCommands.flatMap((command) => [command.i18nDescription, command.i18nParamsExample]),
  ];
  return [...new Set(keys.filter((key): key is string => typeof key === 'string' && key !== ''))];
}

export async function engineTextKeys(projectDir: string): Promise<string[]> {
  return engineTextKeysOf(await providedTexts(projectDir));
}
