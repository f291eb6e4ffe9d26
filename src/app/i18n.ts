/**
 * The app's own messages, in the user's language. The engine translates only settings and the
 * command's description; everything the app says it translates itself, from the same i18n files.
 * Order: the user's language preference, then the server's Language setting, then English.
 */
import de from '../../i18n/de.json';
import en from '../../i18n/en.json';
import es from '../../i18n/es.json';
import ja from '../../i18n/ja.json';
import ptBR from '../../i18n/pt-BR.json';

export type MessageKey = keyof typeof en;
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

const DICTIONARIES: Record<string, Partial<Record<MessageKey, string>>> = { en, de, es, ja, 'pt-BR': ptBR };
export const LANGUAGES = Object.keys(DICTIONARIES);

/** The first supported language among the candidates (`pt` and `pt-PT` fall to `pt-BR`, `de-AT` to `de`). */
export function pickLanguage(candidates: ReadonlyArray<string | undefined | null>): string {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const exact = LANGUAGES.find((lang) => lang.toLowerCase() === candidate.toLowerCase());
    if (exact) return exact;
    const base = candidate.split(/[-_]/)[0].toLowerCase();
    const family = LANGUAGES.find((lang) => lang.split('-')[0].toLowerCase() === base);
    if (family) return family;
  }
  return 'en';
}

export function translator(language: string): Translate {
  const dictionary = DICTIONARIES[language] ?? en;
  return (key, params = {}) => {
    const template = dictionary[key] ?? en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}
