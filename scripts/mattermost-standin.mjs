#!/usr/bin/env node
/**
 * Runs the Mattermost stand-in (tools/mattermost-standin/main.ts) as a process: compiled with esbuild
 * into one ES module, dependencies left in node_modules, as scripts/start.mjs does for `npm start`.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'mattermost-standin');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'main.mjs');

try {
  await build({
    entryPoints: [join(root, 'tools', 'mattermost-standin', 'main.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
} catch (error) {
  console.error(`mattermost stand-in: compiling failed: ${error.message}`);
  process.exit(1);
}

const { main } = await import(pathToFileURL(outfile).href);
try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(`mattermost stand-in: ${error.message}`);
  process.exit(1);
}
