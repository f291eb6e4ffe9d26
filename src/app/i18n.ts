/**
 * The app's own messages, in the user's language. The chat platform translates only settings and
 * the command's description; everything the app says it translates itself, from the same i18n files.
 * Order: the user's language preference, then the server's Language setting, then English.
 */
import de from '../../i18n/de.json';
import en from '../../i18n/en.json';
import es from '../../i18n/es.json';
import ja from '../../i18n/ja.json';
import ptBR from '../../i18n/pt-BR.json';

/**
 * The prefixes of the keys the chat platform translates itself: setting labels, descriptions and
 * sections, the preset choices, the command's description and parameters. The package ships those
 * keys in the zip's i18n files only and leaves them out of the bundle (scripts/package.mjs), so the
 * app cannot translate them: they are no MessageKey. test/unit/i18n.test.ts checks that these
 * prefixes name exactly the keys the app gives the engine.
 */
export const PLATFORM_TEXT_PREFIXES = ['setting_', 'settings_section_', 'preset_', 'command_'] as const;
type PlatformTextKey = `${(typeof PLATFORM_TEXT_PREFIXES)[number]}${string}`;

export type MessageKey = Exclude<keyof typeof en, PlatformTextKey>;
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
  return translatorOf(DICTIONARIES, en)(language);
}

/**
 * A translator over other dictionaries of the same languages (a platform's own few messages, kept
 * out of the others' packages): the language's text, else English, else the key.
 */
export function translatorOf<K extends string>(dictionaries: Record<string, Partial<Record<K, string>>>, english: Record<K, string>) {
  return (language: string) => {
    const dictionary = dictionaries[language] ?? english;
    return (key: K, params: Record<string, string | number> = {}): string => {
      const template = dictionary[key] ?? english[key] ?? key;
      return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
    };
  };
}
