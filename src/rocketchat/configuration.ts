/**
 * The app's settings read into the app layer's configuration (src/app/config.ts) once per request:
 * the providers of the enabled slots, the problems of the others, and the app's public endpoints,
 * whose `complete` is the one redirect URI every provider shares.
 */
import type { IEnvironmentRead } from '@rocket.chat/apps-engine/definition/accessors';
import { isOAuthError } from '../core/errors';
import { parseSealingKey, type KeyRing, type SealingKey } from '../core/sealing';
import { isBaseUrl, type AppConfig, type ConfigProblem } from '../app/config';
import { readEndpointPolicy, readProviderSlots, type SettingValues } from './provider-slots';
import { PUBLIC_BASE_URL, TOKEN_KEY, TOKEN_KEYS_RETIRED } from './settings';
import { settingsSnapshot, type ServerSettings } from './settings-snapshot';

/** The app layer's configuration, and what only the adapter uses: the keys that seal tokens. */
export interface RocketChatConfig extends AppConfig {
  /** Undefined without a usable current key: then no token is stored (see SealedStoreOptions). */
  keyRing?: KeyRing;
}

/** The `connect` endpoint: what a Connect button opens. */
export const CONNECT_PATH = 'connect';
/** The `complete` endpoint: one for every provider, so admins register the same URI everywhere. */
export const COMPLETE_PATH = 'complete';

/**
 * Rocket.Chat serves app endpoints at /api/apps/public/<appId>/<path>. The base comes from the
 * app's public base URL setting (behind a proxy) or Site_Url, trailing slashes removed: a
 * doubled slash is a classic redirect_uri_mismatch.
 */
export function redirectUriOf(base: string, appId: string): string {
  return publicEndpointUrl(base, appId, COMPLETE_PATH);
}

export function publicEndpointUrl(base: string, appId: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/api/apps/public/${appId}/${path}`;
}

/** The configuration last built, and the snapshot values it was built from: rebuilt only when they change. */
let built: { app: ReadonlyMap<string, unknown>; server: ServerSettings; appId: string; config: Promise<RocketChatConfig> } | undefined;

/** The configuration from the process's settings snapshot (settings-snapshot.ts): no bridge call while it holds. */
export async function loadConfiguration(environment: IEnvironmentRead, appId: string): Promise<RocketChatConfig> {
  const [app, server] = await Promise.all([settingsSnapshot.appValues(environment), settingsSnapshot.serverValues(environment)]);
  if (built?.app !== app || built.server !== server || built.appId !== appId) {
    built = { app, server, appId, config: configurationOf(app, server, appId) };
  }
  return built.config;
}

async function configurationOf(app: ReadonlyMap<string, unknown>, server: ServerSettings, appId: string): Promise<RocketChatConfig> {
  const configuredBase = String(app.get(PUBLIC_BASE_URL) ?? '').trim();
  const problems: ConfigProblem[] = [];
  let base: string | undefined;
  if (configuredBase) {
    if (isBaseUrl(configuredBase)) base = configuredBase;
    else
      problems.push({
        slot: 0,
        settingId: PUBLIC_BASE_URL,
        key: 'problem_invalid',
        params: { detail: 'must be an http(s) URL such as https://chat.example.com' },
      });
  }
  if (!base && isBaseUrl(server.siteUrl)) base = server.siteUrl;
  const redirectUri = base ? redirectUriOf(base, appId) : undefined;
  const values: SettingValues = async (id) => app.get(id);
  const policy = await readEndpointPolicy(values);
  const slots = await readProviderSlots(values, redirectUri ?? '', policy.policy);
  const keys = await readKeyRing(values);
  return {
    providers: slots.providers,
    problems: [...problems, ...policy.problems, ...keys.problems, ...slots.problems],
    keyRing: keys.ring,
    connectUrl: base ? publicEndpointUrl(base, appId, CONNECT_PATH) : undefined,
    redirectUri,
    endpointPolicy: policy.policy,
  };
}

/**
 * The sealing keys: the current one seals, retired ones (space separated) still open. A malformed
 * retired key is reported and left out; the others keep working. Messages name the setting, never
 * a key.
 */
export async function readKeyRing(values: SettingValues): Promise<{ ring?: KeyRing; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const key = (text: string, settingId: string): SealingKey | undefined => {
    try {
      return parseSealingKey(text, settingId);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      problems.push({ slot: 0, settingId, key: 'problem_token_key', params: { detail: error.message } });
      return undefined;
    }
  };
  const currentText = String((await values(TOKEN_KEY)) ?? '').trim();
  const retiredText = String((await values(TOKEN_KEYS_RETIRED)) ?? '').trim();
  const others = retiredText
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((text) => key(text, TOKEN_KEYS_RETIRED) ?? []);
  if (!currentText) {
    problems.push({ slot: 0, settingId: TOKEN_KEY, key: 'problem_token_key', params: { detail: 'no key is set (one is generated when the app is enabled)' } });
    return { problems };
  }
  const current = key(currentText, TOKEN_KEY);
  return { ring: current && { current, others: others.filter((other) => other.id !== current.id) }, problems };
}
