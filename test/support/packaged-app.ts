/**
 * The packaged app on the runtime, set up as runtime tests need it: the harness started, origins
 * routed to emulators, users and rooms added, the zip installed, settings saved as an admin would;
 * and `/oauth` typed by a user, answered by its one ephemeral reply.
 */
import { AppsEngineHarness } from '../../tools/harness';
import type { RoomFixture, SentMessage, UserFixture } from '../../tools/harness/world';
import { APP_ID, packagedZip } from './app-package';

export async function startPackagedApp(setup: {
  users: UserFixture[];
  rooms: RoomFixture[];
  /**
   * Runs once the app is installed, with its redirect URI known: starts the provider (an emulator
   * registers that URI), routes its origins, and answers the settings to save, by id, in order.
   */
  configure?: (harness: AppsEngineHarness, completeUrl: string) => Record<string, unknown> | Promise<Record<string, unknown>>;
}): Promise<AppsEngineHarness> {
  const harness = await AppsEngineHarness.start();
  for (const user of setup.users) harness.addUser(user);
  for (const room of setup.rooms) harness.addRoom(room);
  await harness.installZip(packagedZip());
  const settings = (await setup.configure?.(harness, harness.publicUrl(APP_ID, 'complete'))) ?? {};
  for (const [id, value] of Object.entries(settings)) await harness.setSetting(APP_ID, id, value);
  return harness;
}

/** Routes every origin an emulator stands in for to it. */
export function routeTo(harness: AppsEngineHarness, emulator: { server: { origins(): Array<{ origin: string; target: string }> } }): void {
  for (const { origin, target } of emulator.server.origins()) harness.routeOrigin(origin, target);
}

export interface OAuthReply {
  /** The reply's blocks as JSON: what a test searches for words. */
  text: string;
  buttons: Array<{ actionId: string; url: string }>;
}

/** Runs `/oauth …` as `userId` in `roomId`; answers the one ephemeral reply that user got. */
export async function runOAuth(harness: AppsEngineHarness, where: { userId: string; roomId: string }, ...args: string[]): Promise<OAuthReply> {
  harness.clearMessages();
  await harness.runCommand({ command: 'oauth', args, ...where });
  const replies = harness.messages().filter((m) => m.kind === 'ephemeral' && m.toUserId === where.userId);
  if (replies.length !== 1) throw new Error(`/oauth ${args.join(' ')}: ${replies.length} replies, expected one`);
  return replyOf(replies[0]);
}

/** A reply's words (its blocks as JSON) and buttons. */
export function replyOf(message: SentMessage): OAuthReply {
  const blocks = (message.blocks ?? []) as Array<{ type: string; elements?: Array<{ type: string; actionId: string; url: string }> }>;
  return {
    text: JSON.stringify(blocks),
    buttons: blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .filter((e) => e.type === 'button'),
  };
}

/** `/oauth connect`'s Connect link for that user in that room. */
export async function connectLinkFor(harness: AppsEngineHarness, where: { userId: string; roomId: string }, provider?: string): Promise<string> {
  const reply = await runOAuth(harness, where, 'connect', ...(provider ? [provider] : []));
  const button = reply.buttons.find((b) => b.actionId === 'oauth-connect');
  if (!button) throw new Error(`/oauth connect answered without a Connect button: ${reply.text.slice(0, 300)}`);
  return button.url;
}
