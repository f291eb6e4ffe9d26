/**
 * What the bench apps' own commands share (bundled into each app; nothing here ships): a loop timed
 * inside the app's Deno process, and the one way such a command answers the bench, an ephemeral
 * message to the user who typed it whose text is one JSON object.
 */
import type { IModify } from '@rocket.chat/apps-engine/definition/accessors';
import type { SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';

/** What a timed loop answers; `failures` counts the calls that threw or answered nothing. */
export interface LoopFigures {
  ok: boolean;
  n: number;
  ms: number;
  failures: number;
  error?: string;
}

/**
 * Runs `call` `n` times one after the other and times the whole loop with the runtime's clock. One
 * call first, untimed: the first use may fill a process cache (the settings snapshot, say) that
 * every later call finds.
 */
export async function timedLoop(n: number, call: () => Promise<unknown>): Promise<LoopFigures> {
  let failures = 0;
  let error: string | undefined;
  const once = async () => {
    try {
      if (!(await call())) failures += 1;
    } catch (caught) {
      failures += 1;
      error ??= caught instanceof Error ? caught.message : String(caught);
    }
  };
  await call().catch(() => undefined);
  const start = performance.now();
  for (let i = 0; i < n; i++) await once();
  const ms = performance.now() - start;
  return { ok: failures === 0, n, ms, failures, ...(error === undefined ? {} : { error }) };
}

/** `/<command> <sub> <n>`: the loop size, within reason (a typo must not run for an hour). */
export function loopSize(arg: string | undefined, fallback = 1000): number {
  const n = Number(arg ?? fallback);
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : fallback;
}

/** Answers the bench: one ephemeral message to the user who typed the command, in their room. */
export async function replyFigures(context: SlashCommandContext, modify: IModify, figures: object): Promise<void> {
  const notifier = modify.getNotifier();
  const message = notifier.getMessageBuilder().setRoom(context.getRoom()).setText(JSON.stringify(figures)).getMessage();
  await notifier.notifyUser(context.getSender(), message);
}
