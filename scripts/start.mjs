#!/usr/bin/env node
/**
 * `npm start`: compiles the local runner (tools/sandbox/main.ts) with esbuild into one ES module
 * (dependencies stay in node_modules) and runs it. No build step is needed before.
 */
import { pathToFileURL } from 'node:url';
import { compileEntry, projectDir } from './compile-entry.mjs';

const outfile = await compileEntry({
  entry: 'tools/sandbox/main.ts',
  cache: 'oauth-local',
  label: 'npm start',
  // The harness loads the engine with require() after setting NODE_ENV; an ES module has no require.
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
});

const { main } = await import(pathToFileURL(outfile).href);
process.exitCode = await main(process.argv.slice(2), process.env, projectDir);
// main() has stopped everything it started (the app's Deno subprocess included); a handle a library
// left open must not keep a stopped `npm start` alive.
setTimeout(() => process.exit(), 2000).unref();
