/**
 * The app's configuration as one request sees it, whatever platform it came from: the providers
 * admins enabled, the problems of the ones they got wrong, and the app's public addresses. Each
 * adapter reads its own settings into this once per request (Rocket.Chat: app settings; Mattermost:
 * the service's configuration); the app reads nothing else.
 */
import type { EndpointPolicy } from '../core/endpoint-policy';
import type { ClientCredentials, ProviderDefinition } from '../core/provider';
import type { MessageKey } from './i18n';

export interface ConfiguredProvider {
  /** Where admins configured it (a settings slot), so problems and help can point there. */
  slot: number;
  definition: ProviderDefinition;
  client: ClientCredentials;
}

/** A setting an admin must fix, said with a message key and its parameters so each admin reads it in their language. */
export interface ConfigProblem {
  /** The slot it belongs to; 0 for a general setting. */
  slot: number;
  settingId: string;
  key: MessageKey;
  params?: Record<string, string>;
}

export interface AppConfig {
  providers: ConfiguredProvider[];
  problems: ConfigProblem[];
  /**
   * The `connect` endpoint (what a Connect button opens) and the `complete` endpoint (the redirect
   * URI every provider shares); both undefined when the platform knows no public address, and then
   * nothing can connect.
   */
  connectUrl?: string;
  redirectUri?: string;
  /** Where provider requests may go (the allow-list and the development switch). */
  endpointPolicy: EndpointPolicy;
}

/** An http(s) URL without query or fragment: what a public base URL or a site URL may be. */
export function isBaseUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}

export function configuredProvider(config: AppConfig, providerId: string): ConfiguredProvider | undefined {
  return config.providers.find((p) => p.definition.id === providerId);
}

/** The name users read for a provider; its id when it is no longer configured. */
export function displayNameOf(config: AppConfig, providerId: string): string {
  return configuredProvider(config, providerId)?.definition.displayName ?? providerId;
}
