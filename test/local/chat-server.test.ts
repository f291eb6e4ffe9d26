/**
 * The chat page's server (tools/sandbox/chat-server.ts) on its own, with a stand-in for the harness:
 * the messages it keeps are bounded, and a page left open across a restart of `npm start` (a cursor
 * from another run) gets the new run's messages instead of nothing.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { AppsEngineHarness, SentMessage } from '../../tools/harness';
import { createChatServer, listen, type ChatServerOptions, type ChatWorld } from '../../tools/sandbox/chat-server';

const PAGE_DIR = join(resolve(__dirname, '..', '..'), 'tools', 'sandbox', 'chat-page');

interface MessagesAnswer {
  run: string;
  last: number;
  messages: Array<{ seq: number; kind: string; roomId: string; text?: string }>;
}

/** A chat server on a free port, over a harness that only holds the messages an app sent. */
async function chatServer(options: ChatServerOptions, withHarness = true) {
  const sent: SentMessage[] = [];
  const harness = { messages: () => [...sent], clearMessages: () => void sent.splice(0), baseUrl: 'http://127.0.0.1:9' };
  const world: ChatWorld = {
    users: [
      { id: 'alice', username: 'alice', name: 'Alice' },
      { id: 'bob', username: 'bob', name: 'Bob' },
    ],
    rooms: [
      { id: 'general', name: 'general', members: ['alice', 'bob'] },
      { id: 'random', name: 'random', members: ['alice'] },
    ],
    harness: withHarness ? (harness as unknown as AppsEngineHarness) : undefined,
  };
  const server = createChatServer(world, PAGE_DIR, options);
  const port = await listen(server, 0, '127.0.0.1');
  const send = (roomId: string, text: string, toUserId?: string) =>
    sent.push({ kind: toUserId ? 'ephemeral' : 'room', id: text, appId: 'app', roomId, toUserId, text, raw: {} } as unknown as SentMessage);
  const messages = async (userId: string, after = -1, run = ''): Promise<MessagesAnswer> => {
    const answer = await fetch(`http://127.0.0.1:${port}/api/chat/messages?${new URLSearchParams({ userId, after: String(after), run })}`);
    expect(answer.status).toBe(200);
    return (await answer.json()) as MessagesAnswer;
  };
  return { server, port, sent, send, messages };
}

describe('the chat server', () => {
  const servers: Server[] = [];
  const started = async (options: ChatServerOptions, withHarness?: boolean) => {
    const chat = await chatServer(options, withHarness);
    servers.push(chat.server);
    return chat;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  it('keeps the last messages of each room, oldest dropped, and leaves none in the harness', async () => {
    const chat = await started({ maxMessagesPerRoom: 5, runId: 'run-a' });
    for (let i = 0; i < 8; i++) chat.send('general', `general ${i}`);
    chat.send('random', 'random 0');
    for (let i = 1; i < 4; i++) chat.send('general', `to bob ${i}`, 'bob');

    const alice = await chat.messages('alice');
    expect(chat.sent).toEqual([]);
    expect(alice.last).toBe(11);
    // general: the last 5 of its 11 (bob's ephemeral ones count in their room); random: its one.
    expect(alice.messages.map((m) => m.text)).toEqual(['general 6', 'general 7', 'random 0']);
    const bob = await chat.messages('bob');
    expect(bob.messages.map((m) => m.text)).toEqual(['general 6', 'general 7', 'to bob 1', 'to bob 2', 'to bob 3']);
    expect(bob.messages.map((m) => m.seq)).toEqual([6, 7, 9, 10, 11]);
  });

  it('keeps at most 500 a room by default', async () => {
    const chat = await started({});
    for (let i = 0; i < 520; i++) chat.send('general', `message ${i}`);
    const { messages } = await chat.messages('bob');
    expect(messages).toHaveLength(500);
    expect(messages[0].text).toBe('message 20');
  });

  it('answers what comes after a cursor of its own run, and everything to a cursor of another run', async () => {
    const before = await started({ runId: 'run-a' });
    for (let i = 0; i < 3; i++) before.send('general', `old ${i}`);
    const old = await before.messages('alice');
    expect(old).toMatchObject({ run: 'run-a', last: 2 });
    before.send('general', 'old 3');
    expect((await before.messages('alice', 2, 'run-a')).messages.map((m) => m.text)).toEqual(['old 3']);

    // npm start restarted: a new server, numbering from 0 again; the page still holds run-a's cursor.
    const after = await started({ runId: 'run-b' });
    after.send('general', 'new 0');
    const answer = await after.messages('alice', 3, 'run-a');
    expect(answer).toMatchObject({ run: 'run-b', last: 0 });
    expect(answer.messages.map((m) => m.text)).toEqual(['new 0']);
    // Once the page has the new run's id, its cursor counts again.
    expect((await after.messages('alice', 0, 'run-b')).messages).toEqual([]);
  });

  it('gives each run its own id', async () => {
    const [a, b] = [await started({}), await started({})];
    const [runA, runB] = [(await a.messages('alice')).run, (await b.messages('alice')).run];
    expect(runA).toMatch(/^[0-9a-f-]{36}$/);
    expect(runA).not.toBe(runB);
  });

  it('says it is still starting (503) until the runtime is up', async () => {
    const chat = await started({}, false);
    const answer = await fetch(`http://127.0.0.1:${chat.port}/api/chat/messages?userId=alice`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ error: 'Still starting: try again in a moment.' });
  });
});
