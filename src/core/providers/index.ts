/** The catalog of presets admins pick from. */
import { asana } from './asana';
import { atlassian } from './atlassian';
import { chatwork } from './chatwork';
import { customOAuth2, openidConnect } from './custom';
import { dropbox } from './dropbox';
import { github } from './github';
import { gitlab } from './gitlab';
import { google } from './google';
import { microsoft } from './microsoft';
import { catalogEntry, type Preset } from './preset';
import { redmine } from './redmine';
import { slack } from './slack';

export const PRESETS: ReadonlyArray<Preset> = [
  google,
  github,
  gitlab,
  microsoft,
  chatwork,
  redmine,
  asana,
  dropbox,
  slack,
  atlassian,
  openidConnect,
  customOAuth2,
].map(catalogEntry);

export function findPreset(key: string): Preset | undefined {
  return PRESETS.find((preset) => preset.key === key);
}

export {
  definitionFromPreset,
  fillPreset,
  type DefinitionTemplate,
  type Preset,
  type PresetData,
  type PresetOptions,
  type PresetParameter,
  type PresetParameterName,
} from './preset';
