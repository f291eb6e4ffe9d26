#!/usr/bin/env node
/**
 * `npm run mattermost -- <serve|setup|new-key>`: compiles the Mattermost service (src/mattermost/cli.ts)
 * with esbuild into one module (dependencies stay in node_modules) and runs it.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'node_modules', '.cache', 'oauth-mattermost');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'cli.cjs');
try {
  await build({
    entryPoints: [join(root, 'src', 'mattermost', 'cli.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
} catch (error) {
  console.error(`npm run mattermost: compiling the service failed: ${error.message}`);
  process.exit(1);
}
const { main } = createRequire(import.meta.url)(outfile);
process.exitCode = await main(process.argv.slice(2), process.env);
