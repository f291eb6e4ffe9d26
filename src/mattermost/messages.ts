/**
 * What only the Mattermost service says (a button click's answers), in the same languages as the
 * app's messages. Kept apart from i18n/<lang>.json so the Rocket.Chat package does not carry them.
 */
import de from '../../i18n/mattermost/de.json';
import en from '../../i18n/mattermost/en.json';
import es from '../../i18n/mattermost/es.json';
import ja from '../../i18n/mattermost/ja.json';
import ptBR from '../../i18n/mattermost/pt-BR.json';
import { translatorOf } from '../app/i18n';

export type MattermostMessage = keyof typeof en;

export const MATTERMOST_DICTIONARIES: Record<string, Partial<Record<MattermostMessage, string>>> = { en, de, es, ja, 'pt-BR': ptBR };

export const mattermostTranslator = translatorOf<MattermostMessage>(MATTERMOST_DICTIONARIES, en);
