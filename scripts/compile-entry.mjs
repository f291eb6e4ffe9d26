/**
 * What the npm scripts that run TypeScript share: one entry compiled by esbuild into one module under
 * node_modules/.cache (dependencies stay in node_modules), so nothing needs building beforehand. A
 * compile error is said with the script's name, and the process exits 1.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles `entry` (relative to the project) and answers the compiled file's path. */
export async function compileEntry({ entry, cache, label, format = 'esm', banner, plugins = [] }) {
  const outdir = join(projectDir, 'node_modules', '.cache', cache);
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, format === 'esm' ? 'main.mjs' : 'main.cjs');
  try {
    await build({
      entryPoints: [join(projectDir, entry)],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format,
      target: 'node20',
      ...(banner ? { banner: { js: banner } } : {}),
      plugins,
      logLevel: 'error',
    });
  } catch (error) {
    console.error(`${label}: compiling ${entry} failed: ${error.message}`);
    process.exit(1);
  }
  return outfile;
}
