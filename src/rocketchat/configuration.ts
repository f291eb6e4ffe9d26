/**
 * The app's configuration as one request sees it: the providers of the enabled slots, the
 * problems of the others, and the one redirect URI every provider shares.
 */
import type { IEnvironmentRead } from '@rocket.chat/apps-engine/definition/accessors';
import type { EndpointPolicy } from '../core/endpoint-policy';
import { readEndpointPolicy, readProviderSlots, type ProviderSlots, type SlotProblem } from './provider-slots';
import { PUBLIC_BASE_URL } from './settings';

export interface Configuration extends ProviderSlots {
  /** The server's public address (the app's public base URL setting, else Site_Url); undefined when neither is usable. */
  publicBase?: string;
  /** Undefined without a public base: nothing can connect. */
  redirectUri?: string;
  /** Where provider requests may go: the allow-list and the development switch (general settings). */
  endpointPolicy: EndpointPolicy;
}

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

export async function loadConfiguration(environment: IEnvironmentRead, appId: string): Promise<Configuration> {
  const settings = environment.getSettings();
  const configuredBase = String((await settings.getValueById(PUBLIC_BASE_URL)) ?? '').trim();
  const problems: SlotProblem[] = [];
  let base: string | undefined;
  if (configuredBase) {
    if (isHttpUrl(configuredBase)) base = configuredBase;
    else
      problems.push({
        slot: 0,
        settingId: PUBLIC_BASE_URL,
        key: 'problem_invalid',
        params: { detail: 'must be an http(s) URL such as https://chat.example.com' },
      });
  }
  if (!base) {
    const siteUrl = String((await environment.getServerSettings().getValueById('Site_Url')) ?? '').trim();
    if (isHttpUrl(siteUrl)) base = siteUrl;
  }
  const redirectUri = base ? redirectUriOf(base, appId) : undefined;
  const values = (id: string) => settings.getValueById(id);
  const policy = await readEndpointPolicy(values);
  const slots = await readProviderSlots(values, redirectUri ?? '', policy.policy);
  return { ...slots, problems: [...problems, ...policy.problems, ...slots.problems], publicBase: base, redirectUri, endpointPolicy: policy.policy };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}
