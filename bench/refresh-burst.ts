/**
 * One expired token, 100 getters at once: 100 `/oauth-bench get short` commands started together,
 * each its own request in the app's Deno process (each makes its own token service, as separate
 * commands do). The provider must see exactly one token request, every getter must get a token, and
 * all of them the same one.
 */
import { performance } from 'node:perf_hooks';
import { BURST_SIZE, SHORT_TOKEN_TTL_S, benchCommand, burstRoom, type BenchWorld } from './world';

export interface BurstFigures {
  /** Requests the `short` provider's token endpoint received during the burst. */
  tokenRequests: number;
  getters: number;
  /** Getters that answered a token. */
  succeeded: number;
  /** Distinct tokens the getters answered. */
  distinctTokens: number;
  ms: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureRefreshBurst(world: BenchWorld): Promise<BurstFigures> {
  const { harness, short } = world;
  // Expired for real, not only within the refresh margin (a little past it, for the clocks' sake).
  await sleep(Math.max(0, world.shortConnectedAt + SHORT_TOKEN_TTL_S * 1000 + 250 - Date.now()));
  await short.resetTokenRequests();

  const start = performance.now();
  const answers = await Promise.all(
    Array.from({ length: BURST_SIZE }, (_, i) =>
      benchCommand(harness, 'oauth-bench', ['get', 'short'], burstRoom(i)).catch((error: Error): Record<string, unknown> => ({
        ok: false,
        error: error.message,
      })),
    ),
  );
  const ms = performance.now() - start;
  harness.clearMessages();

  const tokenRequests = (await short.tokenRequests()).filter((request) => request.route === 'token').length;
  const good = answers.filter((answer) => answer.ok === true);
  const distinctTokens = new Set(good.map((answer) => answer.fingerprint)).size;
  const problems: string[] = [];
  if (tokenRequests !== 1) problems.push(`${BURST_SIZE} concurrent getters on one expired token: ${tokenRequests} token requests, expected 1`);
  if (good.length !== BURST_SIZE) {
    const errors = [...new Set(answers.filter((answer) => answer.ok !== true).map((answer) => String(answer.error)))];
    problems.push(`${BURST_SIZE - good.length} of ${BURST_SIZE} concurrent getters got no token (${errors.join('; ')})`);
  }
  if (distinctTokens > 1) problems.push(`${BURST_SIZE} concurrent getters answered ${distinctTokens} different tokens, expected one`);
  return { tokenRequests, getters: BURST_SIZE, succeeded: good.length, distinctTokens, ms, problems };
}
