/**
 * `/oauth token demo` against the built-in sample's `/sample-oauth token`, for the same connected
 * user: each command timed from outside the runtime, from the harness handing it to the engine to
 * the app's last answer (what a user waits for, less the chat server's own share). Alternating, each
 * first every other time, the first runs of each discarded.
 */
import type { SentMessage } from '../tools/harness';
import { replyOf } from '../test/support/packaged-app';
import { WHERE, type BenchWorld } from './world';

export interface CommandFigures {
  /** Milliseconds per run; aligned: index i of each is one pair, run one after the other. */
  ours: number[];
  builtin: number[];
  problems: string[];
}

const COMMANDS = [
  { key: 'ours', command: 'oauth', args: ['token', 'demo'] },
  { key: 'builtin', command: 'sample-oauth', args: ['token'] },
] as const;

/** Both replies tell the token's length, and only a reply about a token found does. */
const tellsAToken = (reply: SentMessage): boolean => /\(\d+ characters\)/.test(reply.text ?? replyOf(reply).text);

export async function measureTokenCommands(world: BenchWorld, options: { warmup: number; runs: number }): Promise<CommandFigures> {
  const figures: CommandFigures = { ours: [], builtin: [], problems: [] };
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const pair: Partial<Record<'ours' | 'builtin', number>> = {};
    // Each goes first every other time: whichever follows may pay for what the other left behind.
    for (const { key, command, args } of i % 2 === 0 ? COMMANDS : [...COMMANDS].reverse()) {
      const { replies, durationMs } = await world.harness.runCommandForReplies({ command, args: [...args], ...WHERE });
      world.harness.clearMessages();
      if (replies.length === 1 && tellsAToken(replies[0])) pair[key] = durationMs;
      else figures.problems.push(`/${command} ${args.join(' ')}: ${replies.length} replies, ${replies.length ? 'not about a token' : 'expected one'}`);
    }
    // Only whole pairs: the ratio is taken pair by pair.
    if (i >= options.warmup && pair.ours !== undefined && pair.builtin !== undefined) {
      figures.ours.push(pair.ours);
      figures.builtin.push(pair.builtin);
    }
  }
  return figures;
}
