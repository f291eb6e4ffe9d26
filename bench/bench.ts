/**
 * `npm run bench`: the app against Rocket.Chat's built-in OAuth2 client, on the real Apps-Engine
 * 1.62.0 runtime (each app in its own Deno process, one persistence), in one run:
 *  - the token getter inside each app (bench/getter.ts);
 *  - `/oauth token` against the built-in sample's equivalent (bench/token-command.ts);
 *  - a whole connect flow against oidc-provider on loopback, and the app's own share of it
 *    (bench/flow.ts);
 *  - 100 concurrent getters on one expired token: one token request (bench/refresh-burst.ts);
 *  - install + enable of the product zip and of the built-in sample (bench/install.ts), and the
 *    product zip's bytes.
 * It prints a table, then as its last line one JSON object. It exits 1 when a count is wrong (a
 * token request too many, a getter without a token, a command that did not answer, an error an app
 * logged), never on a time:
 * these machines are noisy, and the ratios compare figures taken side by side in this run.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import { measureAppCode } from './app-code';
import { buildBenchZips } from './build-apps';
import { measureFlows } from './flow';
import { measureGetters } from './getter';
import { measureInstalls } from './install';
import { measureRefreshBurst } from './refresh-burst';
import { summarize, table, type BenchResults } from './report';
import { measureTokenCommands } from './token-command';
import { startBenchWorld } from './world';

const PROJECT_DIR = resolve(__dirname, '..');

/** Sizes that keep the whole run within a few minutes on a 2-core machine. */
const PLAN = {
  getters: { samples: 11, loop: 2000 },
  commands: { warmup: 10, runs: 100 },
  flows: { warmup: 3, runs: 30 },
  appCode: { warmup: 50, runs: 300 },
  installRounds: 5,
};

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(join(PROJECT_DIR, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<number> {
  const loadAtStart = loadavg()[0];
  const zips = await buildBenchZips(PROJECT_DIR);
  const world = await startBenchWorld(zips);
  let measured: Pick<BenchResults, 'getters' | 'commands' | 'flows' | 'burst'>;
  /** An error an app logged is a count that should be 0, like any other. */
  let logged: string[];
  try {
    // The token of `short` expires while the others run; the burst waits for the rest, if any.
    const getters = await measureGetters(world, PLAN.getters);
    const commands = await measureTokenCommands(world, PLAN.commands);
    const flows = await measureFlows(world, PLAN.flows);
    const burst = await measureRefreshBurst(world);
    const errors = world.harness.appErrors();
    logged = errors.length ? [`the apps logged ${errors.length} error(s): ${errors.slice(0, 3).join(' | ')}`] : [];
    measured = { getters, commands, flows, burst };
  } finally {
    await world.stop();
  }
  // Each install round needs a harness of its own: the engine's AppManager is one per process.
  const appCode = await measureAppCode(PLAN.appCode);
  const installs = await measureInstalls({ ours: zips.product.path, builtin: zips.builtin }, PLAN.installRounds);

  const problems = [measured.getters, measured.commands, measured.flows, measured.burst, appCode].flatMap((figures) => figures.problems).concat(logged);
  const summary = summarize({
    ...measured,
    appCode,
    installs,
    packageBytes: zips.product.bytes,
    runtime: { appsEngine: versionOf('@rocket.chat/apps-engine'), deno: versionOf('deno'), loadAtStart },
    problems,
  });
  console.log(table(summary));
  for (const problem of problems) console.log(`WRONG COUNT: ${problem}`);
  console.log(JSON.stringify(summary));
  return problems.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
