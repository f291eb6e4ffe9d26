/**
 * What the app stored, as a test needs to read it: the raw record holds its tokens only sealed, so
 * they are opened here with the app's own key ring (its settings) through the core's SealedTokenStore,
 * exactly as the app opens them. `expectSealed` checks the record first: a test that reads a token
 * through this helper has also checked that no token sits in clear.
 */
import { SealedTokenStore } from '../../src/core/sealed-stores';
import { isSealed, parseSealingKey } from '../../src/core/sealing';
import type { StoredConnection } from '../../src/core/ports';
import type { TokenSet } from '../../src/core/tokens';
import type { AppsEngineHarness } from '../../tools/harness';
import type { StoredRecord } from '../../tools/harness/world';
import { APP_ID } from './app-package';

/** Every token field of a stored token record is a sealed value (or absent/empty). */
export function expectSealed(record: StoredRecord): void {
  const tokens = (record.data as { tokens?: Record<string, unknown> }).tokens ?? {};
  for (const field of ['accessToken', 'refreshToken', 'idToken']) {
    const value = tokens[field];
    if (typeof value === 'string' && value !== '' && !isSealed(value)) throw new Error(`the stored ${field} is in clear`);
  }
}

/** The record's tokens, opened with the keys in the app's settings. */
export async function openedTokens(harness: AppsEngineHarness, record: StoredRecord): Promise<TokenSet> {
  expectSealed(record);
  const current = String(await harness.getSetting(APP_ID, 'token_key'));
  const retired = String((await harness.getSetting(APP_ID, 'token_keys_retired')) ?? '')
    .split(/\s+/)
    .filter(Boolean);
  const ring = { current: parseSealingKey(current), others: retired.map((text) => parseSealingKey(text)) };
  const raw = record.data as StoredConnection;
  const store = new SealedTokenStore({ get: async () => raw, put: async () => {}, delete: async () => {} }, { ring, reported: new Set() });
  const opened = await store.get(raw.userId, raw.providerId);
  if (!opened) throw new Error('no record');
  return opened.tokens;
}
