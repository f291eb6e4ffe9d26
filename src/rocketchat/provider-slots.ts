/**
 * Turns the slots' setting values into the providers the core serves. Values are validated here,
 * at the edge. A bad slot is skipped and reported (which setting, what is wrong); the others keep
 * working.
 */
import * as z from 'zod/mini';
import { findEndpointViolation, parseAllowedHosts, STRICT_ENDPOINT_POLICY, type EndpointPolicy } from '../core/endpoint-policy';
import { isOAuthError } from '../core/errors';
import '../core/zod-messages';
import type { ProviderDefinition } from '../core/provider';
import { definitionFromPreset, findPreset, type Preset, type PresetOptions } from '../core/providers';
import type { ConfigProblem, ConfiguredProvider } from '../app/config';
import type { MessageKey } from '../app/i18n';
import { ALLOW_HTTP_LOOPBACK, OUTBOUND_ALLOWED_HOSTS, SLOT_FIELDS, SLOTS, slotSettingId, type SlotField } from './settings';

export interface ProviderSlots {
  providers: ConfiguredProvider[];
  problems: ConfigProblem[];
}

/** Reads one setting value by id; the adapter passes the engine's settings reader. */
export type SettingValues = (settingId: string) => Promise<unknown>;

// zod's `preprocess(fn, schema)` is this pipe (the classic build's ZodPreprocess is a ZodPipe).
const text = z.pipe(
  z.pipe(
    z.transform((value: unknown) => (value === undefined || value === null ? '' : value)),
    z.string(),
  ),
  z.transform((value) => value.trim()),
);

const slotSchema = z.object({
  enabled: z.pipe(
    z.transform((value: unknown) => value === true || value === 'true'),
    z.boolean(),
  ),
  preset: text,
  id: text,
  client_id: text,
  client_secret: text,
  site: text,
  scopes: text,
  advanced: text,
});
type SlotValues = z.infer<typeof slotSchema>;

/**
 * Where provider requests may go, from the general settings: the allow-list of private hosts and
 * the development switch for plain http on loopback. Entries that are no host are reported.
 */
export async function readEndpointPolicy(values: SettingValues): Promise<{ policy: EndpointPolicy; problems: ConfigProblem[] }> {
  const { allowedHosts, invalid } = parseAllowedHosts(String((await values(OUTBOUND_ALLOWED_HOSTS)) ?? ''));
  const loopback = await values(ALLOW_HTTP_LOOPBACK);
  const problems: ConfigProblem[] = invalid.length
    ? [
        {
          slot: 0,
          settingId: OUTBOUND_ALLOWED_HOSTS,
          key: 'problem_invalid',
          params: { detail: `not a host name, IP address or CIDR range: ${invalid.join(', ').slice(0, 200)}` },
        },
      ]
    : [];
  return { policy: { allowHttpLoopback: loopback === true || loopback === 'true', allowedHosts }, problems };
}

/** The slots' providers; `policy` is checked here too, so admins see a refused URL in help before anyone connects. */
export async function readProviderSlots(values: SettingValues, redirectUri: string, policy: EndpointPolicy = STRICT_ENDPOINT_POLICY): Promise<ProviderSlots> {
  const providers: ConfiguredProvider[] = [];
  const problems: ConfigProblem[] = [];
  for (const slot of SLOTS) {
    const raw = Object.fromEntries(await Promise.all(SLOT_FIELDS.map(async (field) => [field, await values(slotSettingId(slot, field))])));
    const parsed = slotSchema.safeParse(raw);
    if (!parsed.success || !parsed.data.enabled) continue;
    const result = providerOfSlot(slot, parsed.data, redirectUri, policy);
    if ('problem' in result) {
      problems.push(result.problem);
      continue;
    }
    const duplicate = providers.find((p) => p.definition.id === result.provider.definition.id);
    if (duplicate) {
      problems.push({
        slot,
        settingId: slotSettingId(slot, 'id'),
        key: 'problem_duplicate_id',
        params: { id: result.provider.definition.id, other: String(duplicate.slot) },
      });
      continue;
    }
    providers.push(result.provider);
  }
  return { providers, problems };
}

function providerOfSlot(
  slot: number,
  values: SlotValues,
  redirectUri: string,
  policy: EndpointPolicy,
): { provider: ConfiguredProvider } | { problem: ConfigProblem } {
  const problem = (field: SlotField, key: MessageKey, params?: Record<string, string>) => ({
    problem: { slot, settingId: slotSettingId(slot, field), key, params },
  });
  const preset = findPreset(values.preset);
  if (!preset) return problem('preset', 'problem_unknown_preset', { value: values.preset });
  if (!values.client_id) return problem('client_id', 'problem_required');

  let overrides: PresetOptions['overrides'];
  if (values.advanced) {
    try {
      overrides = JSON.parse(values.advanced);
    } catch {
      return problem('advanced', 'problem_json');
    }
    if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides)) return problem('advanced', 'problem_json');
  }

  const options: PresetOptions = {
    id: values.id || preset.key,
    scopes: values.scopes ? values.scopes.split(/[\s,]+/).filter(Boolean) : undefined,
    overrides,
    ...(preset.needs && preset.needs !== 'endpoints' ? { [preset.needs]: values.site } : {}),
  };
  let definition: ProviderDefinition;
  try {
    definition = definitionFromPreset(preset, options);
  } catch (error) {
    if (!isOAuthError(error)) throw error;
    return problem(settingOfField(error.field), 'problem_invalid', { detail: error.message });
  }
  if (definition.clientAuth !== 'none' && !values.client_secret) return problem('client_secret', 'problem_required');
  const refused = findEndpointViolation(definition, policy);
  if (refused) {
    // Discovered endpoints are checked when the provider is used (OAuthConnector.provider()).
    const source = settingOfUrl(refused.path, preset, overrides);
    if (refused.fix === 'url') return problem(source, 'problem_invalid', { detail: `${refused.path} ${refused.reason}` });
    const [settingId, remedy] =
      refused.fix === 'allowedHosts'
        ? [OUTBOUND_ALLOWED_HOSTS, 'the app calls it only if this setting names it']
        : [ALLOW_HTTP_LOOPBACK, 'allowed only for development, with this setting on'];
    return {
      problem: { slot, settingId, key: 'problem_invalid', params: { detail: `${slotSettingId(slot, source)} (${refused.path}) ${refused.reason}: ${remedy}` } },
    };
  }
  return {
    provider: {
      slot,
      definition,
      client: { clientId: values.client_id, clientSecret: values.client_secret || undefined, redirectUri },
    },
  };
}

/** Which slot setting a refused URL came from: the advanced JSON when it sets that field, else the site the preset builds it from. */
function settingOfUrl(path: string, preset: Preset, overrides: PresetOptions['overrides']): SlotField {
  let node: unknown = overrides;
  for (const key of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node !== undefined) return 'advanced';
  return preset.needs && preset.needs !== 'endpoints' ? 'site' : 'advanced';
}

/** Which setting an admin must change for a definition field the core refused. */
function settingOfField(field: string | undefined): SlotField {
  if (field === 'site' || field === 'tenant' || field === 'issuer') return 'site';
  if (field === 'id') return 'id';
  if (field?.startsWith('scopes')) return 'scopes';
  return 'advanced';
}
