/**
 * Install + enable, from the zip to an enabled app (the engine unpacks it, starts the app's Deno
 * process, constructs and initializes the App, and enables it): the product zip against the built-in
 * sample's. Each round starts a fresh harness (Rocket.Chat has no uninstall that leaves nothing of
 * an app behind either) and installs both, in alternating order; the first round warms this Node
 * process (the engine's modules, the signing key) and is not counted.
 */
import { performance } from 'node:perf_hooks';
import { AppsEngineHarness } from '../tools/harness';

export interface InstallFigures {
  /** Milliseconds; aligned: index i of each is round i. */
  ours: number[];
  builtin: number[];
}

export async function measureInstalls(zips: { ours: string; builtin: string }, rounds: number): Promise<InstallFigures> {
  const figures: InstallFigures = { ours: [], builtin: [] };
  for (let round = 0; round <= rounds; round++) {
    const harness = await AppsEngineHarness.start();
    try {
      const order = round % 2 === 0 ? (['ours', 'builtin'] as const) : (['builtin', 'ours'] as const);
      for (const key of order) {
        const start = performance.now();
        await harness.installZip(zips[key]);
        if (round > 0) figures[key].push(performance.now() - start);
      }
    } finally {
      await harness.stop();
    }
  }
  return figures;
}
