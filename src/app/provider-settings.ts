/**
 * Provider settings, whatever platform holds them: the same fields per provider (Rocket.Chat's
 * setting slots, the Mattermost service's configuration file), turned into the providers the core
 * serves. Values are validated here, at the edge. A bad provider is skipped and reported (which
 * setting, what is wrong, in the platform's own setting names); the others keep working.
 */
import * as z from 'zod/mini';
import { findEndpointViolation, parseAllowedHosts, STRICT_ENDPOINT_POLICY, type EndpointPolicy } from '../core/endpoint-policy';
import { isOAuthError } from '../core/errors';
import '../core/zod-messages';
import type { ProviderDefinition } from '../core/provider';
import { definitionFromPreset, findPreset, type Preset, type PresetOptions } from '../core/providers';
import type { ConfigProblem, ConfiguredProvider } from './config';
import type { MessageKey } from './i18n';

/** The fields admins set for each provider. */
export const PROVIDER_FIELDS = ['enabled', 'preset', 'id', 'client_id', 'client_secret', 'site', 'scopes', 'advanced'] as const;
export type ProviderField = (typeof PROVIDER_FIELDS)[number];

/** One provider's values as the platform stores them (anything: validated here), and where an admin finds them. */
export interface ProviderEntry {
  /** Its position (a settings slot, an entry of the configuration's list), from 1. */
  slot: number;
  values: Partial<Record<ProviderField, unknown>>;
}

/** The platform's names for the settings a problem points at. */
export interface SettingNames {
  field(slot: number, field: ProviderField): string;
  allowedHosts: string;
  httpLoopback: string;
}

export interface ProviderSettings {
  providers: ConfiguredProvider[];
  problems: ConfigProblem[];
}

// zod's `preprocess(fn, schema)` is this pipe (the classic build's ZodPreprocess is a ZodPipe).
const text = z.pipe(
  z.pipe(
    z.transform((value: unknown) => (value === undefined || value === null ? '' : value)),
    z.string(),
  ),
  z.transform((value) => value.trim()),
);

const fieldsSchema = z.object({
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
type FieldValues = z.infer<typeof fieldsSchema>;

/**
 * Where provider requests may go, from the general settings: the allow-list of private hosts and
 * the development switch for plain http on loopback. Entries that are no host are reported.
 */
export function endpointPolicyOf(
  values: { allowedHosts: unknown; httpLoopback: unknown },
  names: SettingNames,
): { policy: EndpointPolicy; problems: ConfigProblem[] } {
  const { allowedHosts, invalid } = parseAllowedHosts(String(values.allowedHosts ?? ''));
  const loopback = values.httpLoopback;
  const problems: ConfigProblem[] = invalid.length
    ? [
        {
          slot: 0,
          settingId: names.allowedHosts,
          key: 'problem_invalid',
          params: { detail: `not a host name, IP address or CIDR range: ${invalid.join(', ').slice(0, 200)}` },
        },
      ]
    : [];
  return { policy: { allowHttpLoopback: loopback === true || loopback === 'true', allowedHosts }, problems };
}

/** The providers; `policy` is checked here too, so admins see a refused URL in help before anyone connects. */
export function providersOf(entries: ProviderEntry[], options: { redirectUri: string; policy?: EndpointPolicy; names: SettingNames }): ProviderSettings {
  const providers: ConfiguredProvider[] = [];
  const problems: ConfigProblem[] = [];
  const policy = options.policy ?? STRICT_ENDPOINT_POLICY;
  for (const { slot, values } of entries) {
    const parsed = fieldsSchema.safeParse(values);
    if (!parsed.success || !parsed.data.enabled) continue;
    const result = providerOf(slot, parsed.data, options.redirectUri, policy, options.names);
    if ('problem' in result) {
      problems.push(result.problem);
      continue;
    }
    const duplicate = providers.find((p) => p.definition.id === result.provider.definition.id);
    if (duplicate) {
      problems.push({
        slot,
        settingId: options.names.field(slot, 'id'),
        key: 'problem_duplicate_id',
        params: { id: result.provider.definition.id, other: String(duplicate.slot) },
      });
      continue;
    }
    providers.push(result.provider);
  }
  return { providers, problems };
}

function providerOf(
  slot: number,
  values: FieldValues,
  redirectUri: string,
  policy: EndpointPolicy,
  names: SettingNames,
): { provider: ConfiguredProvider } | { problem: ConfigProblem } {
  const problem = (field: ProviderField, key: MessageKey, params?: Record<string, string>) => ({
    problem: { slot, settingId: names.field(slot, field), key, params },
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
        ? [names.allowedHosts, 'the app calls it only if this setting names it']
        : [names.httpLoopback, 'allowed only for development, with this setting on'];
    return {
      problem: { slot, settingId, key: 'problem_invalid', params: { detail: `${names.field(slot, source)} (${refused.path}) ${refused.reason}: ${remedy}` } },
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

/** Which setting a refused URL came from: the advanced JSON when it sets that field, else the site the preset builds it from. */
function settingOfUrl(path: string, preset: Preset, overrides: PresetOptions['overrides']): ProviderField {
  let node: unknown = overrides;
  for (const key of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node !== undefined) return 'advanced';
  return preset.needs && preset.needs !== 'endpoints' ? 'site' : 'advanced';
}

/** Which setting an admin must change for a definition field the core refused. */
function settingOfField(field: string | undefined): ProviderField {
  if (field === 'site' || field === 'tenant' || field === 'issuer') return 'site';
  if (field === 'id') return 'id';
  if (field?.startsWith('scopes')) return 'scopes';
  return 'advanced';
}
