#!/usr/bin/env node
/** Runs the Mattermost stand-in (tools/mattermost-standin/main.ts) as a process of its own. */
import { pathToFileURL } from 'node:url';
import { compileEntry } from './compile-entry.mjs';

const outfile = await compileEntry({ entry: 'tools/mattermost-standin/main.ts', cache: 'mattermost-standin', label: 'mattermost stand-in' });
const { main } = await import(pathToFileURL(outfile).href);
try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(`mattermost stand-in: ${error.message}`);
  process.exit(1);
}
