#!/usr/bin/env node
/**
 * `npm run package`: bundles the App class and everything it imports (the core, zod) into the
 * class file, and writes dist/<nameSlug>_<version>.zip with app.json, the bundle, i18n/ and the
 * icon. The official packager zips sources without npm dependencies, which then fail at run time
 * inside the app; this is why the project bundles its own zip.
 */
import AdmZip from 'adm-zip';
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function packageApp({ projectDir = root, quiet = false } = {}) {
  const manifest = JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8'));
  const bundlePath = manifest.classFile.replace(/\.ts$/, '.js');
  const result = await build({
    absWorkingDir: projectDir,
    entryPoints: [join(projectDir, manifest.classFile)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'es2020',
    // The engine provides these at run time; the Deno runtime's `require` resolves them.
    external: ['@rocket.chat/apps-engine', '@rocket.chat/apps-engine/*'],
    // The Deno runtime runs the app with `globalThis` set to undefined
    // (deno-runtime/handlers/app/construct.ts); zod reads globalThis when it loads.
    define: { globalThis: '__appGlobal' },
    banner: { js: 'var __appGlobal = Function("return this")();' },
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [bundle] = result.outputFiles;

  const zip = new AdmZip();
  zip.addFile('app.json', Buffer.from(JSON.stringify(manifest, null, 2)));
  zip.addFile(bundlePath, Buffer.from(bundle.contents));
  for (const file of readdirSync(join(projectDir, 'i18n')).filter((name) => name.endsWith('.json'))) {
    zip.addFile(`i18n/${file}`, readFileSync(join(projectDir, 'i18n', file)));
  }
  zip.addFile(manifest.iconFile, readFileSync(join(projectDir, manifest.iconFile)));

  mkdirSync(join(projectDir, 'dist'), { recursive: true });
  const zipPath = join(projectDir, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
  // 0644 whatever the umask (adm-zip's writeZip leaves it to the umask: 0666 under umask 0), written
  // beside and renamed into place, so a reader (npm start, a test) never sees half a zip.
  const temp = join(projectDir, 'dist', `.${manifest.nameSlug}_${manifest.version}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, zip.toBuffer(), { mode: 0o644 });
    chmodSync(temp, 0o644);
    renameSync(temp, zipPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (!quiet) console.log(`Packaged ${manifest.name} ${manifest.version}: ${zipPath} (bundle ${(bundle.contents.length / 1024).toFixed(0)} KB)`);
  return { zipPath, bundleBytes: bundle.contents.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  packageApp().catch((error) => {
    console.error(`Packaging failed: ${error.message}`);
    process.exit(1);
  });
}
