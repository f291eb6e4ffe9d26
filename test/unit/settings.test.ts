import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SettingType } from '@rocket.chat/apps-engine/definition/settings';
import { settingDefinitions, SLOT_COUNT } from '../../src/rocketchat/settings';

const english = JSON.parse(readFileSync(join(__dirname, '..', '..', 'i18n', 'en.json'), 'utf8')) as Record<string, string>;
const settings = settingDefinitions();

describe('app settings', () => {
  it('offers three provider slots side by side and a public base URL', () => {
    expect(settings.filter((s) => s.id.endsWith('_enabled'))).toHaveLength(SLOT_COUNT);
    expect(settings.map((s) => s.id)).toContain('public_base_url');
  });

  it('keeps every client secret in a password setting that is never public', () => {
    const secrets = settings.filter((s) => s.id.endsWith('_client_secret'));
    expect(secrets).toHaveLength(SLOT_COUNT);
    for (const secret of secrets) expect(secret).toMatchObject({ type: SettingType.PASSWORD, public: false });
    expect(settings.every((s) => s.public === false)).toBe(true);
  });

  it('has an English text for every label, description, section and choice the engine translates', () => {
    const keys = settings
      .flatMap((s) => [s.i18nLabel, s.i18nDescription, s.section, ...(s.values ?? []).map((v) => v.i18nLabel)])
      .filter((k): k is string => Boolean(k));
    expect(keys.filter((key) => !(key in english))).toEqual([]);
  });
});
