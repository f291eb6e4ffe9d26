/**
 * The token sealing keys as app settings: one is generated when the app is first enabled, and a
 * key an admin replaces is never lost, it moves to the retired keys, which still open what it
 * sealed (each record is resealed under the new key at its next write).
 *
 * Why settings: a Rocket.Chat app reads no environment variable but NODE_ENV, ROOT_URL and
 * INSTANCE_IP, and has no other secret store. Settings live in the same database as the sealed
 * records, but in another collection (the app's settings, not its persistence): the sealing guards
 * against a copy of the records alone (a persistence export, a backup of that collection, a log of
 * its documents), not against someone who reads the whole database. README says so.
 */
import type { IEnvironmentRead, IEnvironmentWrite, ILogger } from '@rocket.chat/apps-engine/definition/accessors';
import type { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import type { ISettingUpdateContext } from '@rocket.chat/apps-engine/definition/settings/ISettingUpdateContext';
import { newSealingKey, parseSealingKey } from '../core/sealing';
import { TOKEN_KEY, TOKEN_KEYS_RETIRED } from './settings';

/**
 * At enable: a key when there is none. Two server instances enabling at once may each write one;
 * the second write goes through `keyChange` like any other and retires the first.
 */
export async function ensureTokenKey(environment: IEnvironmentRead, writer: IEnvironmentWrite, logger: ILogger): Promise<void> {
  const current = String((await environment.getSettings().getValueById(TOKEN_KEY)) ?? '').trim();
  if (current) return;
  await writer.getSettings().updateValue(TOKEN_KEY, newSealingKey());
  logger.info('Generated the key that seals users’ tokens (setting: token sealing key)');
}

/**
 * Before the key setting changes (onPreSettingUpdate): a malformed key is refused and the previous
 * one kept; an emptied one is replaced by a fresh key; and the previous key joins the retired keys.
 * Answers the setting to store.
 */
export async function keyChange(context: ISettingUpdateContext, environment: IEnvironmentRead, writer: IEnvironmentWrite, logger: ILogger): Promise<ISetting> {
  const previous = String(context.oldSetting.value ?? '').trim();
  let next = String(context.newSetting.value ?? '').trim();
  if (!next) {
    next = newSealingKey();
    logger.info('The token sealing key was emptied: a new one was generated');
  } else {
    try {
      parseSealingKey(next, TOKEN_KEY);
    } catch (error) {
      logger.warn(`${TOKEN_KEY}: ${error instanceof Error ? error.message : 'not a key'}; the previous key is kept`);
      return context.oldSetting;
    }
  }
  if (previous && previous !== next) {
    const retired = String((await environment.getSettings().getValueById(TOKEN_KEYS_RETIRED)) ?? '')
      .split(/\s+/)
      .filter(Boolean);
    if (!retired.includes(previous)) await writer.getSettings().updateValue(TOKEN_KEYS_RETIRED, [previous, ...retired].join(' '));
    logger.info('The token sealing key changed: the previous one was retired, and still opens what it sealed');
  }
  return { ...context.newSetting, value: next };
}
