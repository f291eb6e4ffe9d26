/**
 * The app's settings: a public base URL, and three provider slots side by side. Each setting's
 * label and description are i18n keys the engine translates (i18n/<lang>.json).
 */
import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import { SettingType } from '@rocket.chat/apps-engine/definition/settings';
import { PRESETS } from '../core/providers';
import type { ProviderField } from '../app/provider-settings';

export const SLOT_COUNT = 3;
export const SLOTS = Array.from({ length: SLOT_COUNT }, (_, i) => i + 1);

export const PUBLIC_BASE_URL = 'public_base_url';
/** Hosts the app may call although they are private (names, IP literals, CIDR ranges), comma or space separated. */
export const OUTBOUND_ALLOWED_HOSTS = 'outbound_allowed_hosts';
/** Development only: provider endpoints on loopback (127.0.0.1, ::1, localhost), plain http included. */
export const ALLOW_HTTP_LOOPBACK = 'allow_http_loopback';
/** The key that seals users' tokens (32 random bytes); generated at the first enable when empty. */
export const TOKEN_KEY = 'token_key';
/** Keys sealed under before: records they sealed still open, and are resealed under the current key when next written. */
export const TOKEN_KEYS_RETIRED = 'token_keys_retired';

/** The settings of one slot, by field; ids look like `provider1_client_id`. */
export type SlotField = ProviderField;

export function slotSettingId(slot: number, field: SlotField): string {
  return `provider${slot}_${field}`;
}

export function settingDefinitions(): ISetting[] {
  const general: ISetting = {
    id: PUBLIC_BASE_URL,
    type: SettingType.STRING,
    packageValue: '',
    required: false,
    public: false,
    section: 'settings_section_general',
    i18nLabel: 'setting_public_base_url_label',
    i18nDescription: 'setting_public_base_url_description',
  };
  const allowedHosts: ISetting = {
    id: OUTBOUND_ALLOWED_HOSTS,
    type: SettingType.STRING,
    packageValue: '',
    required: false,
    public: false,
    section: 'settings_section_general',
    i18nLabel: 'setting_outbound_allowed_hosts_label',
    i18nDescription: 'setting_outbound_allowed_hosts_description',
  };
  const httpLoopback: ISetting = {
    id: ALLOW_HTTP_LOOPBACK,
    type: SettingType.BOOLEAN,
    packageValue: false,
    required: false,
    public: false,
    section: 'settings_section_general',
    i18nLabel: 'setting_allow_http_loopback_label',
    i18nDescription: 'setting_allow_http_loopback_description',
  };
  const tokenKey: ISetting = {
    id: TOKEN_KEY,
    type: SettingType.PASSWORD,
    packageValue: '',
    required: false,
    public: false,
    section: 'settings_section_general',
    i18nLabel: 'setting_token_key_label',
    i18nDescription: 'setting_token_key_description',
  };
  const retiredKeys: ISetting = {
    id: TOKEN_KEYS_RETIRED,
    type: SettingType.PASSWORD,
    packageValue: '',
    required: false,
    public: false,
    section: 'settings_section_general',
    i18nLabel: 'setting_token_keys_retired_label',
    i18nDescription: 'setting_token_keys_retired_description',
  };
  return [general, allowedHosts, httpLoopback, tokenKey, retiredKeys, ...SLOTS.flatMap(slotSettings)];
}

function slotSettings(slot: number): ISetting[] {
  const section = `settings_section_provider_${slot}`;
  const setting = (field: SlotField, type: SettingType, packageValue: unknown, extra: Partial<ISetting> = {}): ISetting => ({
    id: slotSettingId(slot, field),
    type,
    packageValue,
    required: false,
    // No provider setting is ever sent to non-admin clients; the secret least of all.
    public: false,
    section,
    i18nLabel: `setting_${field}_label`,
    i18nDescription: `setting_${field}_description`,
    ...extra,
  });
  return [
    setting('enabled', SettingType.BOOLEAN, false),
    setting('preset', SettingType.SELECT, slot === 1 ? 'github' : 'oidc', {
      values: PRESETS.map((preset) => ({ key: preset.key, i18nLabel: `preset_${preset.key}` })),
    }),
    setting('id', SettingType.STRING, ''),
    setting('client_id', SettingType.STRING, ''),
    setting('client_secret', SettingType.PASSWORD, ''),
    setting('site', SettingType.STRING, ''),
    setting('scopes', SettingType.STRING, ''),
    setting('advanced', SettingType.CODE, '', { multiline: true }),
  ];
}
