/**
 * Token getters per second, measured inside each app's Deno process (the loop and its clock run
 * there, so no command dispatch is in the figure): the app's token service on the `demo` token, and
 * the built-in client's `getAccessTokenForUser` on its record, for the same user on the same runtime
 * and persistence. Each round takes one sample of each, one after the other, so a slow moment of
 * this noisy machine falls on both and the ratio is taken round by round; the first round warms
 * both processes and is not counted.
 */
import { benchCommand, type BenchWorld } from './world';

export interface GetterFigures {
  /** Operations per second, one per round (the arrays are aligned: index i is round i of each). */
  ours: number[];
  builtin: number[];
  /** The app's getter with a token service made for every call, as that many commands would. */
  oursPerRequest: number[];
  loop: number;
  problems: string[];
}

type GetterKey = 'ours' | 'builtin' | 'oursPerRequest';

const RUNS: Array<{ key: GetterKey; command: string; args: (n: number) => string[] }> = [
  { key: 'ours', command: 'oauth-bench', args: (n) => ['getter', 'demo', String(n)] },
  { key: 'builtin', command: 'builtin-bench', args: (n) => ['getter', String(n)] },
  { key: 'oursPerRequest', command: 'oauth-bench', args: (n) => ['getter-per-request', 'demo', String(n)] },
];

export async function measureGetters(world: BenchWorld, options: { samples: number; loop: number }): Promise<GetterFigures> {
  const figures: GetterFigures = { ours: [], builtin: [], oursPerRequest: [], loop: options.loop, problems: [] };
  for (let round = 0; round <= options.samples; round++) {
    const sample: Partial<Record<GetterKey, number>> = {};
    // Each app goes first every other round: whichever follows may pay for what the other left behind.
    for (const run of round % 2 === 0 ? RUNS : [...RUNS].reverse()) {
      const answer = await benchCommand(world.harness, run.command, run.args(options.loop));
      if (answer.ok !== true || answer.n !== options.loop || typeof answer.ms !== 'number') {
        figures.problems.push(`/${run.command} ${run.args(options.loop).join(' ')}: ${JSON.stringify(answer)}`);
      } else {
        sample[run.key] = options.loop / (answer.ms / 1000);
      }
    }
    // Only whole rounds: the ratio is taken round by round, between samples taken side by side.
    if (round > 0 && RUNS.every(({ key }) => sample[key] !== undefined)) {
      for (const { key } of RUNS) figures[key].push(sample[key] as number);
    }
  }
  return figures;
}
