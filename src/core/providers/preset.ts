/**
 * What a preset is: a named recipe that turns an admin's few settings (client id, the site or
 * tenant it needs) into a full provider definition. Quirks of a provider live in its preset only.
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

export interface Preset {
  key: string;
  label: string;
  /** The provider documentation the preset follows. */
  docs: string;
  /** The one extra setting the preset needs, if any. */
  needs?: 'site' | 'tenant' | 'issuer' | 'endpoints';
  build(options: PresetOptions): ProviderInput;
}

/**
 * Builds and validates a provider from a preset. Admin overrides are merged over the preset's
 * values (objects one level deep), then the whole is checked by the schema.
 */
export function definitionFromPreset(preset: Preset, options: PresetOptions): ProviderDefinition {
  const base = preset.build(options);
  const overrides = options.overrides ?? {};
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    const current = merged[name];
    merged[name] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  if (options.scopes?.length) merged.scopes = { ...(merged.scopes as object), default: options.scopes };
  return parseProviderDefinition(merged);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A site base URL from the admin, without trailing slash; refused with the setting's name otherwise. */
export function requireSite(options: PresetOptions, presetLabel: string, field: 'site' | 'issuer' = 'site'): string {
  const value = options[field]?.trim();
  if (!value) {
    throw new OAuthError('invalid_configuration', `${presetLabel} needs the ${field} URL`, { field, providerId: options.id });
  }
  if (!isAcceptableEndpoint(value)) {
    throw new OAuthError('invalid_configuration', `${field}: must be an absolute https:// URL, not "${value.slice(0, 100)}"`, {
      field,
      providerId: options.id,
    });
  }
  const url = new URL(value);
  if (url.search || url.hash || url.username || url.password) {
    throw new OAuthError('invalid_configuration', `${field}: must be a plain base URL without query, fragment or credentials`, {
      field,
      providerId: options.id,
    });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
