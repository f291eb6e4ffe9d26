#!/usr/bin/env node
/**
 * `npm start`: compiles the local runner (tools/sandbox/main.ts) with esbuild into one ES module
 * (dependencies stay in node_modules) and runs it. No build step is needed before.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'oauth-local');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'main.mjs');

try {
  await build({
    entryPoints: [join(root, 'tools', 'sandbox', 'main.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The harness loads the engine with require() after setting NODE_ENV; an ES module has no require.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  });
} catch (error) {
  console.error(`npm start: compiling the local runner failed: ${error.message}`);
  process.exit(1);
}

const { main } = await import(pathToFileURL(outfile).href);
process.exitCode = await main(process.argv.slice(2), process.env, root);
// main() has stopped everything it started (the app's Deno subprocess included); a handle a library
// left open must not keep a stopped `npm start` alive.
setTimeout(() => process.exit(), 2000).unref();
