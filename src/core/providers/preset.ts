/**
 * What a preset is: data. A named provider definition whose strings may name the one parameter an
 * admin gives besides the client credentials (`{site}`, `{tenant}`, `{issuer}`) and the provider's
 * id (`{id}`), with the rule that parameter must follow. One function here fills any preset, applies
 * the admin's overrides and validates the result; quirks of a provider live in its preset only.
 */
import { OAuthError } from '../errors';
import { isAcceptableEndpoint, parseProviderDefinition, type ProviderDefinition, type ProviderInput } from '../provider';

/** What an admin gives besides the client credentials. */
export interface PresetOptions {
  /** The id users type in commands, e.g. `github`. */
  id: string;
  displayName?: string;
  /** Base URL of a self-hosted or per-customer site (GitLab, Redmine/Planio). */
  site?: string;
  /** Microsoft Entra tenant: a GUID, a verified domain, or common / organizations / consumers. */
  tenant?: string;
  /** OpenID Connect issuer, for discovery. */
  issuer?: string;
  /** Scopes replacing the preset's defaults. */
  scopes?: string[];
  /** The admin's advanced JSON: fields of the definition that replace the preset's. */
  overrides?: Partial<ProviderInput>;
}

/** The setting a preset fills its `{site}`, `{tenant}` or `{issuer}` placeholder from. */
export type PresetParameterName = 'site' | 'tenant' | 'issuer';

/**
 * How the preset's parameter is checked, and its value when the admin leaves it empty (none: the
 * setting is required). A base URL must be an absolute http(s) URL without query, fragment or
 * credentials (whether https is required is the endpoint policy's to say); a name must match
 * `pattern`, `expected` saying in words what it must be.
 */
export type PresetParameter = { format: 'baseUrl'; default?: string } | { format: 'name'; pattern: RegExp; expected: string; default?: string };

/** A provider definition with placeholders in its strings; `id` comes from the admin. */
export type DefinitionTemplate = Omit<ProviderInput, 'id' | 'displayName'> & { displayName?: string };

export interface PresetData {
  key: string;
  label: string;
  /** The provider documentation the preset follows. */
  docs: string;
  /** The one extra setting the preset needs, if any. */
  needs?: PresetParameterName | 'endpoints';
  /** The rule for `needs`' value; a required base URL when absent. */
  parameter?: PresetParameter;
  /** The definition, `{id}` and `{<needs>}` filled in by `fillPreset`; other `{…}` (revocation's) are left for the core. */
  definition: DefinitionTemplate;
}

/** A preset of the catalog: its data, frozen so no caller can change what the next slot is built from. */
export type Preset = Readonly<PresetData>;

export function catalogEntry(data: PresetData): Preset {
  return deepFreeze({ ...data });
}

/**
 * Builds and validates a provider from a preset. Admin overrides are merged over the preset's
 * values (objects one level deep), then the whole is checked by the schema.
 */
export function definitionFromPreset(preset: PresetData, options: PresetOptions): ProviderDefinition {
  const merged: Record<string, unknown> = { ...fillPreset(preset, options) };
  for (const [name, value] of Object.entries(options.overrides ?? {})) {
    const current = merged[name];
    merged[name] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  if (options.scopes?.length) merged.scopes = { ...(merged.scopes as object), default: options.scopes };
  return parseProviderDefinition(merged);
}

/**
 * The preset's definition with its placeholders filled: `{id}` from the admin's id, `{site}` /
 * `{tenant}` / `{issuer}` from the checked parameter. Throws `invalid_configuration` naming that
 * setting (`field`: site, tenant or issuer) when the parameter is missing or malformed.
 */
export function fillPreset(preset: PresetData, options: PresetOptions): ProviderInput {
  const values: Record<string, string> = { id: options.id };
  if (preset.needs && preset.needs !== 'endpoints') values[preset.needs] = parameterValue(preset, preset.needs, options);
  const filled = fillStrings(preset.definition, values) as DefinitionTemplate;
  return { ...filled, id: options.id, displayName: options.displayName ?? filled.displayName ?? nameFromId(options.id) };
}

/**
 * The name shown for a provider whose preset has none (a custom or OpenID Connect one the admin did
 * not name in the advanced JSON): its id, which users type in lower case, capitalised to read as a
 * name in a sentence ("Connect Keycloak"); the admin's `displayName` replaces it.
 */
export function nameFromId(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

function parameterValue(preset: PresetData, field: PresetParameterName, options: PresetOptions): string {
  const rule = preset.parameter ?? { format: 'baseUrl' };
  const value = options[field]?.trim() || rule.default;
  if (!value) {
    throw new OAuthError('invalid_configuration', `${preset.label} needs the ${field}${rule.format === 'baseUrl' ? ' URL' : ''}`, {
      field,
      providerId: options.id,
    });
  }
  if (rule.format === 'baseUrl') return baseUrl(value, field, options.id);
  if (!rule.pattern.test(value)) {
    throw new OAuthError('invalid_configuration', `${field}: must be ${rule.expected}, not "${value.slice(0, 80)}"`, { field, providerId: options.id });
  }
  return value;
}

/** A site or issuer base URL, without trailing slash; refused with the setting's name otherwise. */
function baseUrl(value: string, field: PresetParameterName, providerId: string): string {
  if (!isAcceptableEndpoint(value)) {
    throw new OAuthError('invalid_configuration', `${field}: must be an absolute https:// URL, not "${value.slice(0, 100)}"`, { field, providerId });
  }
  const url = new URL(value);
  // Every endpoint is the base plus a path: a query, fragment or credentials would misplace them all.
  if (url.search || url.hash || url.username || url.password) {
    throw new OAuthError('invalid_configuration', `${field}: must be a plain base URL without query, fragment or credentials`, { field, providerId });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * Replaces `{name}` for the names in `values`, in every string of a template, in one pass: a value
 * filled in is never read for placeholders again. A parsed base URL cannot carry braces (the URL
 * parser percent-encodes them), nor can an id or a tenant the schema and the rules accept.
 */
function fillStrings(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string') return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
  if (Array.isArray(template)) return template.map((item) => fillStrings(item, values));
  if (isPlainObject(template)) return Object.fromEntries(Object.entries(template).map(([key, item]) => [key, fillStrings(item, values)]));
  return template;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  // A RegExp stays as it is: `test` on a non-global pattern writes nothing, but nothing needs it frozen.
  if (Array.isArray(value) || (isPlainObject(value) && !(value instanceof RegExp))) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
