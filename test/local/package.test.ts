/**
 * `npm run package`: the zip is written 0644 whatever the umask (adm-zip alone leaves it to the
 * umask), is under 64 KB with every dependency bundled, and ships each text once: the engine's in the
 * zip's i18n files, the app's own messages in the bundle.
 */
import AdmZip from 'adm-zip';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { OAuthCommand } from '../../commands/OAuthCommand';
import { settingDefinitions } from '../../src/rocketchat/settings';

const PROJECT_DIR = resolve(__dirname, '..', '..');

(process.platform === 'win32' ? it.skip : it)(
  'writes dist/<slug>_<version>.zip with mode 0644 under umask 000, and leaves no temporary file',
  () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, 'app.json'), 'utf8')) as { nameSlug: string; version: string };
    // sh execs node: the packager's pid, which names its temporary file, is the child's.
    const packaging = spawnSync('/bin/sh', ['-c', 'umask 000 && exec "$0" scripts/package.mjs', process.execPath], { cwd: PROJECT_DIR, encoding: 'utf8' });
    expect(packaging.stderr).toBe('');
    expect(packaging.status).toBe(0);
    const zip = join(PROJECT_DIR, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
    expect((statSync(zip).mode & 0o777).toString(8)).toBe('644');
    expect(readdirSync(join(PROJECT_DIR, 'dist')).filter((name) => name.includes(`.${packaging.pid}.`))).toEqual([]);
  },
  60_000,
);

describe('the zip npm run package writes', () => {
  const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, 'app.json'), 'utf8')) as { nameSlug: string; version: string; classFile: string };
  const zipPath = join(PROJECT_DIR, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
  const languages = readdirSync(join(PROJECT_DIR, 'i18n')).filter((name) => name.endsWith('.json'));
  const repository = (file: string): Record<string, string> => JSON.parse(readFileSync(join(PROJECT_DIR, 'i18n', file), 'utf8'));
  const english = repository('en.json');
  // What the engine is given to translate, read here from the settings and the command themselves.
  const command = new OAuthCommand({} as never);
  const engineKeys = new Set(
    [
      ...settingDefinitions().flatMap((s) => [
        s.i18nLabel,
        s.i18nDescription,
        s.i18nAlert,
        s.i18nPlaceholder,
        s.section,
        ...(s.values ?? []).map((v) => v.i18nLabel),
      ]),
      command.i18nDescription,
      command.i18nParamsExample,
    ].filter((key): key is string => Boolean(key)),
  );
  const appKeys = Object.keys(english).filter((key) => !engineKeys.has(key));
  let stdout = '';
  let zip: AdmZip;
  let bundle = '';

  beforeAll(() => {
    const packaging = spawnSync(process.execPath, ['scripts/package.mjs'], { cwd: PROJECT_DIR, encoding: 'utf8' });
    expect(packaging.stderr).toBe('');
    expect(packaging.status).toBe(0);
    stdout = packaging.stdout;
    zip = new AdmZip(zipPath);
    bundle = zip.readAsText(manifest.classFile.replace(/\.ts$/, '.js'));
  }, 60_000);

  it('is under 64 KB (65,536 bytes), and npm run package says its size', () => {
    const bytes = statSync(zipPath).size;
    expect(stdout).toContain(`${bytes.toLocaleString('en')} bytes`);
    expect(bytes).toBeLessThan(65_536);
  });

  it('bundles every dependency: the class file requires nothing but the engine and Node built-ins', () => {
    const required = [...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((name) => !name.startsWith('@rocket.chat/apps-engine/') && !builtinModules.includes(name.replace(/^node:/, '')))).toEqual([]);
    expect(bundle).not.toMatch(/\brequire\("zod/);
  });

  it("gives the engine, in every language, each text it translates and no other: the zip's i18n files", () => {
    expect(engineKeys.size).toBeGreaterThan(0);
    expect(
      zip
        .getEntries()
        .map((entry) => entry.entryName)
        .filter((name) => name.startsWith('i18n/'))
        .sort(),
    ).toEqual(languages.map((file) => `i18n/${file}`).sort());
    for (const file of languages) {
      const shipped = JSON.parse(zip.readAsText(`i18n/${file}`)) as Record<string, string>;
      const source = repository(file);
      expect({ file, keys: Object.keys(shipped).sort() }).toEqual({ file, keys: [...engineKeys].sort() });
      expect(shipped).toEqual(Object.fromEntries(Object.keys(shipped).map((key) => [key, source[key]])));
    }
  });

  it("ships each of the app's own messages once per language, in the bundle, and none of the engine's texts there", () => {
    // A dictionary entry is a property of an object literal in the minified bundle: `{key:` or `,key:`.
    const entries = (key: string) => bundle.match(new RegExp(`[{,]"?${key}"?:`, 'g'))?.length ?? 0;
    expect(appKeys.length).toBeGreaterThan(0);
    expect(appKeys.filter((key) => entries(key) !== languages.length)).toEqual([]);
    expect([...engineKeys].filter((key) => entries(key) > 0)).toEqual([]);
  });
});
