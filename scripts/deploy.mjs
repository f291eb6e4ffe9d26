#!/usr/bin/env node
// `npm run deploy [-- --url <server url>] [--code <2FA code>] [--update]`
// Uploads dist/<nameSlug>_<version>.zip (written by `npm run package`) to the Rocket.Chat server named in
// .rcappsconfig. The logic lives in tools/deploy/deploy.ts; this entry compiles it on the fly with esbuild (a
// devDependency), so it runs on a fresh clone after `npm ci`, with no build step and no global tool.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `Usage: npm run deploy -- [--url <server url>] [--code <2FA code>] [--update]

Uploads dist/<nameSlug>_<version>.zip (run \`npm run package\` first) to the server in .rcappsconfig.
Credentials: RC_USERNAME + RC_PASSWORD, or RC_USER_ID + RC_AUTH_TOKEN (personal access token), in the
environment, or the same as "username"/"password" or "userId"/"token" in .rcappsconfig.local.json
(git-ignored). The environment wins.
  --url <url>    use this server instead of .rcappsconfig's "url"
  --code <code>  two-factor code for the login
  --update       fail unless the app is already installed (install or update is otherwise automatic)
Tip: \`npm run -s deploy -- --code …\` keeps npm from echoing the command line.`;

class UsageError extends Error {}

function parseFlags(argv) {
  // `npm run deploy --code 123456` without `--`: npm takes the flag for itself (npm_config_code=true)
  // and passes only the value on.
  if (['code', 'url', 'update'].some((name) => process.env[`npm_config_${name}`] !== undefined)) {
    throw new UsageError('npm took the flags for itself: put them after `--`, as in `npm run deploy -- --code <code>`.');
  }
  const flags = { url: undefined, code: undefined, update: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? (eq > 0 ? arg.slice(2, eq) : arg.slice(2)) : undefined;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === 'url' || name === 'code') {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || value.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
      flags[name] = value;
    } else if (name === 'update' && inline === undefined) {
      flags.update = true;
    } else if ((name === 'help' || arg === '-h') && inline === undefined) {
      flags.help = true;
    } else if (name !== undefined) {
      throw new UsageError(`Unknown option --${name}.`); // the name only: a value may be a secret
    } else {
      throw new UsageError('Unexpected argument: flags are --url, --code and --update.'); // not echoed: it may be a secret
    }
  }
  return flags;
}

async function loadDeployModule() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // Inside the project's node_modules, so the bundle's `require('axios')` / `require('zod')` resolve there.
  const outfile = path.join(root, 'node_modules', '.cache', 'rc-deploy', `deploy-${process.pid}.cjs`);
  await build({
    entryPoints: [path.join(root, 'tools', 'deploy', 'deploy.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  try {
    return createRequire(import.meta.url)(outfile);
  } finally {
    rmSync(outfile, { force: true });
  }
}

async function main() {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    console.error(`deploy: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  let deployApp;
  try {
    ({ deployApp } = await loadDeployModule());
  } catch (error) {
    console.error(`deploy: could not compile tools/deploy/deploy.ts with esbuild: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  try {
    // npm runs scripts from the package root, whatever directory it was called from.
    await deployApp({ projectDir: process.cwd(), url: flags.url, code: flags.code, update: flags.update, log: (line) => console.log(line) });
    return 0;
  } catch (error) {
    // deployApp's messages are written for the user and carry no secret; print nothing else (no stack, no object).
    console.error(`deploy failed: ${error instanceof Error ? error.message : 'unknown error'}`);
    return 1;
  }
}

process.exitCode = await main();
