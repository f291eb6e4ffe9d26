#!/usr/bin/env node
/**
 * `npm run bench`: compiles bench/bench.ts with esbuild (dependencies stay external) and runs it.
 * The bench exits 1 when a count is wrong (see bench/bench.ts), never on a time.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'oauth-bench');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'bench.cjs');

/**
 * Each module keeps its own `__dirname`, as where it lives in the source tree: in one bundle they
 * would all see the bundle's folder, and the test helpers the bench uses find their servers by it
 * (test/support/auth-servers.ts).
 */
const sourceDirname = {
  name: 'source-dirname',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      return { contents: `const __dirname = ${JSON.stringify(dirname(path))};\n${source}`, loader: 'ts' };
    });
  },
};

await build({
  entryPoints: [join(root, 'bench', 'bench.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [sourceDirname],
  logLevel: 'error',
});
createRequire(import.meta.url)(outfile);
