#!/usr/bin/env node
/**
 * `npm run bench`: compiles bench/bench.ts with esbuild (dependencies stay external) and runs it.
 * The bench exits 1 when a count is wrong (see bench/bench.ts), never on a time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileEntry } from './compile-entry.mjs';

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

const outfile = await compileEntry({ entry: 'bench/bench.ts', cache: 'oauth-bench', label: 'npm run bench', format: 'cjs', plugins: [sourceDirname] });
createRequire(import.meta.url)(outfile);
