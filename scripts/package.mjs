#!/usr/bin/env node
/**
 * `npm run package`: bundles the App class and everything it imports (the core, zod's mini build)
 * into the class file, and writes dist/<nameSlug>_<version>.zip with app.json, the bundle, i18n/
 * and the icon. The official packager zips sources without npm dependencies, which then fail at run
 * time inside the app; this is why the project bundles its own zip.
 *
 * Each text ships once. i18n/<lang>.json in the repository holds every key, for translators; in
 * the zip, i18n/<lang>.json holds only the keys the engine translates (settings, the command's
 * description: tools/package/engine-texts.ts derives them from the App itself), and the bundle's
 * dictionaries (src/app/i18n.ts imports the same files) hold every other key.
 */
import AdmZip from 'adm-zip';
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const ENGINE_EXTERNALS = ['@rocket.chat/apps-engine', '@rocket.chat/apps-engine/*'];

/**
 * The i18n keys the engine translates for the app, from its own extendConfiguration
 * (tools/package/engine-texts.ts, bundled and run here in Node).
 */
export async function engineTextKeys(projectDir = root) {
  const result = await build({
    absWorkingDir: projectDir,
    stdin: { contents: "export { engineTextKeys } from './tools/package/engine-texts';", resolveDir: projectDir, loader: 'ts' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'es2020',
    external: ENGINE_EXTERNALS,
    logLevel: 'silent',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(module, module.exports, createRequire(join(projectDir, 'package.json')));
  return module.exports.engineTextKeys(projectDir);
}

/** The i18n files of the repository, by file name. */
function readDictionaries(projectDir) {
  const files = readdirSync(join(projectDir, 'i18n')).filter((name) => name.endsWith('.json'));
  return new Map(files.map((file) => [file, JSON.parse(readFileSync(join(projectDir, 'i18n', file), 'utf8'))]));
}

/** The entries of `dictionary` whose key `keep` accepts, in the file's order. */
function pick(dictionary, keep) {
  return Object.fromEntries(Object.entries(dictionary).filter(([key]) => keep(key)));
}

/**
 * Writes dist/<nameSlug>_<version>.zip. `variant` builds another App class from the same recipe into
 * another zip, for the bench only (bench/build-apps.ts): `manifest` replaces fields of app.json
 * (`classFile` among them: the entry), `zipPath` is where it goes. The product zip is never a variant.
 */
export async function packageApp({ projectDir = root, quiet = false, variant = undefined } = {}) {
  const manifest = { ...JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8')), ...variant?.manifest };
  const bundlePath = manifest.classFile.replace(/\.ts$/, '.js');
  const dictionaries = readDictionaries(projectDir);
  const engineKeys = new Set(await engineTextKeys(projectDir));
  const missing = [...engineKeys].filter((key) => !(key in (dictionaries.get('en.json') ?? {})));
  if (missing.length) throw new Error(`i18n/en.json lacks keys the engine translates: ${missing.join(', ')}`);
  const i18nDir = join(projectDir, 'i18n');
  // The bundle's dictionaries: the app's own messages, without the engine's keys.
  const appMessagesOnly = {
    name: 'app-messages-only',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.json$/ }, ({ path }) => {
        if (dirname(path) !== i18nDir) return undefined;
        return { contents: JSON.stringify(pick(JSON.parse(readFileSync(path, 'utf8')), (key) => !engineKeys.has(key))), loader: 'json' };
      });
    },
  };
  const result = await build({
    absWorkingDir: projectDir,
    entryPoints: [join(projectDir, manifest.classFile)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'es2020',
    // The engine provides these at run time; the Deno runtime's `require` resolves them.
    external: ENGINE_EXTERNALS,
    plugins: [appMessagesOnly],
    // The Deno runtime runs the app with `globalThis` set to undefined
    // (deno-runtime/handlers/app/construct.ts); zod reads globalThis when it loads.
    define: { globalThis: '__appGlobal' },
    banner: { js: 'var __appGlobal = Function("return this")();' },
    minify: true,
    // Function names are minified like every other identifier: the zip must stay under 64 KB
    // (test/local/package.test.ts), and keeping them (`keepNames`, 3.4 KB of the zip) served only
    // stack frames, such as the "caller" the engine's log records. Methods and the logger adapter's
    // functions (src/rocketchat/app-context.ts), where nearly every log line comes from, are named
    // by their property keys, which minifying keeps; no code reads a function's name (errors set theirs).
    keepNames: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const [bundle] = result.outputFiles;

  const zip = new AdmZip();
  zip.addFile('app.json', Buffer.from(JSON.stringify(manifest, null, 2)));
  zip.addFile(bundlePath, Buffer.from(bundle.contents));
  for (const [file, dictionary] of dictionaries) {
    const engineTexts = pick(dictionary, (key) => engineKeys.has(key));
    // No indentation: only the engine reads these, and every byte counts toward the 64 KB.
    zip.addFile(`i18n/${file}`, Buffer.from(JSON.stringify(engineTexts)));
  }
  zip.addFile(manifest.iconFile, readFileSync(join(projectDir, manifest.iconFile)));

  const zipPath = variant?.zipPath ?? join(projectDir, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
  mkdirSync(dirname(zipPath), { recursive: true });
  // 0644 whatever the umask (adm-zip's writeZip leaves it to the umask: 0666 under umask 0), written
  // beside and renamed into place, so a reader (npm start, a test) never sees half a zip.
  const temp = join(dirname(zipPath), `.${manifest.nameSlug}_${manifest.version}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const zipped = zip.toBuffer();
  try {
    writeFileSync(temp, zipped, { mode: 0o644 });
    chmodSync(temp, 0o644);
    renameSync(temp, zipPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const zipBytes = zipped.length;
  if (!quiet) {
    console.log(
      `Packaged ${manifest.name} ${manifest.version}: ${zipPath}, ${zipBytes.toLocaleString('en')} bytes (${(zipBytes / 1024).toFixed(1)} KB; bundle ${(bundle.contents.length / 1024).toFixed(0)} KB)`,
    );
  }
  return { zipPath, zipBytes, bundleBytes: bundle.contents.length, engineKeys: [...engineKeys] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  packageApp().catch((error) => {
    console.error(`Packaging failed: ${error.message}`);
    process.exit(1);
  });
}
