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
import type { Preset } from './preset';
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
];

export function findPreset(key: string): Preset | undefined {
  return PRESETS.find((preset) => preset.key === key);
}

export { definitionFromPreset, type Preset, type PresetOptions } from './preset';
