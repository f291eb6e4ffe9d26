#!/usr/bin/env node
/** `npm run bench`: compiles bench/bench.ts with esbuild (dependencies stay external) and runs it. */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'oauth-bench');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'bench.cjs');
await build({
  entryPoints: [join(root, 'bench', 'bench.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'error',
});
createRequire(import.meta.url)(outfile);
