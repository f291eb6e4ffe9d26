// Runs the demo authorization server (tools/sandbox/demo-provider.ts) in a child process, for jest
// (CommonJS) tests: oidc-provider is ESM-only, so the jest process never imports it.
//
//   DEMO_PROVIDER_OPTIONS='{"port":0,"clients":[...],"dataDir":"..."}' node test/local/demo-provider-launcher.mjs
//
// It bundles the TypeScript source with esbuild the way the runner does (format esm, platform node,
// packages external) into node_modules/.cache (inside the project, so the bundle's bare
// `import('oidc-provider')` resolves), imports it, starts the server and prints exactly one line:
//   {"ready":true,"issuer":"http://127.0.0.1:<port>","accounts":[...]}
// Everything else (real errors) goes to stderr. SIGTERM, SIGINT or the parent closing our stdin make
// it close the server (pending writes to the data folder included) and exit 0.

import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const raw = process.env.DEMO_PROVIDER_OPTIONS;
if (!raw) {
  process.stderr.write('DEMO_PROVIDER_OPTIONS is not set\n');
  process.exit(2);
}
const options = JSON.parse(raw);

const cacheDir = path.join(projectRoot, 'node_modules', '.cache', 'demo-provider-launcher');
fs.mkdirSync(cacheDir, { recursive: true });
const outDir = fs.mkdtempSync(path.join(cacheDir, 'bundle-'));
const outfile = path.join(outDir, 'demo-provider.mjs');

let provider;
try {
  await build({
    entryPoints: [path.join(projectRoot, 'tools', 'sandbox', 'demo-provider.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    target: 'node20',
    logLevel: 'silent',
  });
  const { startDemoProvider } = await import(pathToFileURL(outfile).href);
  provider = await startDemoProvider(options);
} catch (err) {
  process.stderr.write(`demo provider launcher: ${err?.stack ?? err}\n`);
  process.exit(1);
} finally {
  fs.rmSync(outDir, { recursive: true, force: true });
}

let exiting = false;
async function shutdown() {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(1), 5000).unref();
  try {
    await provider.close();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`demo provider launcher: close failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  }
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The parent keeps our stdin open; if it goes away (crash, kill -9), so do we.
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ ready: true, issuer: provider.issuer, accounts: provider.accounts })}\n`);
