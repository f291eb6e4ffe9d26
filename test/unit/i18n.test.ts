import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pickLanguage, PLATFORM_TEXT_PREFIXES, translator, type MessageKey } from '../../src/app/i18n';
import { engineTextKeys } from '../../tools/package/engine-texts';

const dir = join(__dirname, '..', '..', 'i18n');
const load = (file: string): Record<string, string> => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const english = load('en.json');
const locales = readdirSync(dir).filter((file) => file.endsWith('.json') && file !== 'en.json');

/** What a translation must keep as is: placeholders and code spans. */
const invariants = (text: string) => [...(text.match(/\{\w+\}/g) ?? []), ...(text.match(/`[^`]*`/g) ?? [])].sort();

describe('i18n files', () => {
  it('has the four other languages the product promises', () => {
    expect(locales.sort()).toEqual(['de.json', 'es.json', 'ja.json', 'pt-BR.json']);
  });

  it.each(locales)('%s has every key English has, and no other', (file) => {
    const translated = load(file);
    expect(Object.keys(translated).filter((key) => !(key in english))).toEqual([]);
    expect(Object.keys(english).filter((key) => !(key in translated))).toEqual([]);
  });

  it.each(locales)('%s keeps every placeholder and code span of English', (file) => {
    const translated = load(file);
    const broken = Object.keys(english).filter(
      (key) => key in translated && JSON.stringify(invariants(english[key])) !== JSON.stringify(invariants(translated[key])),
    );
    expect(broken).toEqual([]);
  });
});

describe('who translates which key', () => {
  it('the platform translates exactly the keys named by PLATFORM_TEXT_PREFIXES: those of the settings and the command the app provides', async () => {
    const engine = await engineTextKeys(join(__dirname, '..', '..'));
    const prefixed = Object.keys(english).filter((key) => PLATFORM_TEXT_PREFIXES.some((prefix) => key.startsWith(prefix)));
    expect([...engine].sort()).toEqual(prefixed.sort());
  });

  it('a key the platform translates is no MessageKey: the app cannot ask for one its bundle lacks', () => {
    // @ts-expect-error a setting's label is the platform's to translate
    const key: MessageKey = 'setting_site_label';
    expect(key in english).toBe(true);
  });
});

describe('language choice', () => {
  it('takes the first supported candidate, matching regional variants to their language', () => {
    expect(pickLanguage([undefined, 'de-AT', 'ja'])).toBe('de');
    expect(pickLanguage(['pt', 'en'])).toBe('pt-BR');
    expect(pickLanguage(['pt-br'])).toBe('pt-BR');
    expect(pickLanguage(['fr', 'es-MX'])).toBe('es');
    expect(pickLanguage(['fr', undefined, ''])).toBe('en');
  });

  it('fills parameters and falls back to English for a key a language lacks', () => {
    const t = translator('de');
    expect(t('status_not_connected', { provider: 'GitHub' })).toContain('GitHub');
    expect(translator('xx')('status_not_connected', { provider: 'GitHub' })).toBe('GitHub: not connected');
  });
});
