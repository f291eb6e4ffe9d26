#!/usr/bin/env node
/** `npm run mattermost -- <serve|setup|new-key>`: the Mattermost service (src/mattermost/cli.ts). */
import { createRequire } from 'node:module';
import { compileEntry } from './compile-entry.mjs';

const outfile = await compileEntry({ entry: 'src/mattermost/cli.ts', cache: 'oauth-mattermost', label: 'npm run mattermost', format: 'cjs' });
const { main } = createRequire(import.meta.url)(outfile);
process.exitCode = await main(process.argv.slice(2), process.env);
