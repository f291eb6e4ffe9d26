/**
 * The chat page's Mattermost side (npm start): the same page, its commands going through the
 * stand-in for a Mattermost server to the Mattermost service, as Mattermost would send them.
 *
 *   GET  /api/chat/state?platform=mattermost
 *   GET  /api/chat/messages?platform=mattermost&userId=&after=&run=
 *   POST /api/chat/command   { platform: "mattermost", userId, roomId, text }
 *   POST /api/chat/action    { userId, postId, actionId }: a button click, delivered by the stand-in
 *
 * A message is what the user's client would show: ephemeral posts for them, posts in their channels,
 * and their direct messages from the bot (in the pseudo-room `direct`), numbered in order of first sight.
 */
import type { WirePost } from '../mattermost-standin';
import type { MattermostWorld } from './mattermost-world';

export const DIRECT_ROOM = 'direct';

export interface PageMessage {
  seq: number;
  kind: 'ephemeral' | 'message';
  roomId: string;
  text: string;
  /** The post's attachments as the client sees them (no integration, buttons by id). */
  attachments?: Array<{ text?: string; footer?: string; actions?: Array<{ id: string; name: string; style?: string }> }>;
  postId: string;
}

export class MattermostChat {
  private readonly numbers = new Map<string, number>();

  constructor(readonly world: MattermostWorld) {}

  /** The service's own address, behind the chat page's proxy. */
  get serviceAddress(): string {
    return this.world.instances[0].base;
  }

  state() {
    const { people, channels, channelMembers } = this.world;
    return {
      users: Object.values(people).map(({ id, username, name, admin }) => ({ id, username, name, admin })),
      rooms: [
        { id: channels.town, name: 'town-square', members: channelMembers.town },
        { id: channels.bobs, name: 'bobs-corner', members: channelMembers.bobs },
        { id: DIRECT_ROOM, name: 'direct messages', members: Object.values(people).map((p) => p.id) },
      ],
    };
  }

  messages(userId: string, after: number): { last: number; messages: PageMessage[] } {
    const { standIn, channelMembers, channels } = this.world;
    const mine = (Object.keys(channels) as Array<keyof typeof channels>).filter((key) => channelMembers[key].includes(userId)).map((key) => channels[key]);
    const seen: Array<{ post: WirePost; kind: PageMessage['kind']; roomId: string }> = [
      ...standIn.ephemeralFor(userId).map((post) => ({ post, kind: 'ephemeral' as const, roomId: post.channel_id })),
      ...mine.flatMap((channelId) => standIn.postsIn(channelId).map((post) => ({ post, kind: 'message' as const, roomId: channelId }))),
      ...standIn.directMessages(userId).map((post) => ({ post, kind: 'message' as const, roomId: DIRECT_ROOM })),
    ].sort((a, b) => a.post.create_at - b.post.create_at);
    for (const { post } of seen) if (!this.numbers.has(post.id)) this.numbers.set(post.id, this.numbers.size);
    const messages = seen
      .map(({ post, kind, roomId }) => ({
        seq: this.numbers.get(post.id)!,
        kind,
        roomId,
        text: post.message,
        attachments: post.props?.attachments as PageMessage['attachments'],
        postId: post.id,
      }))
      .filter((message) => message.seq > after)
      .sort((a, b) => a.seq - b.seq);
    return { last: this.numbers.size - 1, messages };
  }

  /** Runs a command as the user typed it; answers the error Mattermost would show, if any. */
  async command(userId: string, roomId: string, text: string): Promise<string | undefined> {
    if (roomId === DIRECT_ROOM) return 'Type commands in a channel: the direct room only shows what the bot sends.';
    const run = await this.world.standIn.runSlashCommand({ userId, channelId: roomId, text });
    return run.error?.message;
  }

  async click(userId: string, postId: string, actionId: string): Promise<string | undefined> {
    const click = await this.world.standIn.clickButton({ userId, postId, actionId });
    return click.error?.message;
  }
}
