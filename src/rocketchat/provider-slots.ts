/**
 * The Rocket.Chat settings of the provider slots and the general outbound settings, read into the
 * app layer's provider settings (src/app/provider-settings.ts), which validates them.
 */
import type { EndpointPolicy } from '../core/endpoint-policy';
import { endpointPolicyOf, PROVIDER_FIELDS, providersOf, type ProviderSettings, type SettingNames } from '../app/provider-settings';
import type { ConfigProblem } from '../app/config';
import { ALLOW_HTTP_LOOPBACK, OUTBOUND_ALLOWED_HOSTS, SLOTS, slotSettingId } from './settings';

/** Reads one setting value by id; the adapter passes the engine's settings reader. */
export type SettingValues = (settingId: string) => Promise<unknown>;

/** Problems name the setting ids an admin sees in the app's settings. */
const NAMES: SettingNames = { field: slotSettingId, allowedHosts: OUTBOUND_ALLOWED_HOSTS, httpLoopback: ALLOW_HTTP_LOOPBACK };

/** Where provider requests may go, from the general settings. */
export async function readEndpointPolicy(values: SettingValues): Promise<{ policy: EndpointPolicy; problems: ConfigProblem[] }> {
  const [allowedHosts, httpLoopback] = await Promise.all([values(OUTBOUND_ALLOWED_HOSTS), values(ALLOW_HTTP_LOOPBACK)]);
  return endpointPolicyOf({ allowedHosts, httpLoopback }, NAMES);
}

/** The slots' providers, and the problems of the slots that are enabled but wrong. */
export async function readProviderSlots(values: SettingValues, redirectUri: string, policy?: EndpointPolicy): Promise<ProviderSettings> {
  const entries = await Promise.all(
    SLOTS.map(async (slot) => ({
      slot,
      values: Object.fromEntries(await Promise.all(PROVIDER_FIELDS.map(async (field) => [field, await values(slotSettingId(slot, field))]))),
    })),
  );
  return providersOf(entries, { redirectUri, policy, names: NAMES });
}
