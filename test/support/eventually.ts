/**
 * Waits for what the app does after it answers (the callback's notice follows its page: the account
 * name is read from the provider first). Polls `probe` until it gives a value, or fails saying what
 * never came.
 */
import type { AppsEngineHarness, SentMessage } from '../../tools/harness';

export async function eventually<T>(probe: () => T | undefined | false | null, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not come within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Call before the callback: `arrived()` then waits for the next message to the user (the notice the
 * callback sends, ephemeral in their room), whatever was sent or cleared before.
 */
export function watchNotice(harness: Pick<AppsEngineHarness, 'messages'>, userId: string): { arrived(): Promise<SentMessage> } {
  const seen = new Set(harness.messages().map((m) => m.id));
  return {
    arrived: () => eventually(() => harness.messages().find((m) => m.toUserId === userId && !seen.has(m.id)), `the notice to ${userId} after the callback`),
  };
}
