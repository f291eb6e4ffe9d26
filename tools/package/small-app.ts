/**
 * Bundles a small app's class file with esbuild and zips it with its app.json, the way the project's
 * packager does (scripts/package.mjs): one CommonJS file at the path `classFile` names (.ts -> .js),
 * the engine left external, `globalThis` replaced because the Deno runtime runs app code with it
 * undefined. For apps that never ship: the harness tests' fixtures and the bench's apps. They have
 * no i18n files and no icon, and are not minified (their stack traces stay readable).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import AdmZip from 'adm-zip';
import { build } from 'esbuild';

export interface SmallAppJson {
  id: string;
  name: string;
  nameSlug: string;
  classFile: string;
  permissions: Array<{ name: string }>;
  /** What Rocket.Chat shows about the app; default: a fixture of the harness tests. */
  description?: string;
}

/** Writes `<outDir>/<nameSlug>.zip` and answers its path. */
export async function buildSmallApp(entry: string, appJson: SmallAppJson, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2017',
    external: ['@rocket.chat/apps-engine'],
    define: { globalThis: '__g' },
    banner: { js: 'var __g=Function("return this")();' },
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    write: false,
    logLevel: 'silent',
  });

  const zip = new AdmZip();
  const manifest = {
    ...appJson,
    version: '0.0.1',
    requiredApiVersion: '^1.62.0',
    description: appJson.description ?? 'Fixture app for the Apps-Engine harness test',
    author: { name: 'harness test', homepage: 'https://example.test', support: 'https://example.test' },
    implements: [],
  };
  zip.addFile('app.json', Buffer.from(JSON.stringify(manifest, null, 2)));
  zip.addFile(appJson.classFile.replace(/\.ts$/, '.js'), Buffer.from(result.outputFiles[0].contents));

  const zipPath = join(outDir, `${appJson.nameSlug}.zip`);
  await writeFile(zipPath, zip.toBuffer());
  return zipPath;
}
