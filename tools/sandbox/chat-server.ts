/**
 * The local run's one address: the chat page and its small JSON API, and the app's public
 * endpoints (proxied to the harness), so the redirect URI and the page share one origin.
 *
 *   GET  /                         the chat page (chat-page/*)
 *   GET  /api/chat/state           users, rooms, the demo accounts
 *   GET  /api/chat/messages?userId=&after=&run=   what that user sees: their ephemeral messages, their
 *                                  rooms' messages, numbered after `after`; answers { run, last, messages }
 *   POST /api/chat/command         { userId, roomId, text: "/oauth connect" }
 *   *    /api/apps/…               the app's endpoints, proxied to the harness
 *   *    /mattermost-service/…     the Mattermost service's endpoints, proxied to it
 *   with platform=mattermost (query or body): the same API through the stand-in for a Mattermost
 *   server to the Mattermost service (mattermost-chat.ts), and POST /api/chat/action for its buttons
 *
 * The messages the app sends are moved out of the harness into this server's log as they come, and
 * numbered there; the log keeps the last `maxMessagesPerRoom` of each room (ephemeral ones count in
 * their room), the oldest dropped. Each server has its own run id: a page still open from a run
 * before (npm start restarted) sends that run's id with its cursor, and gets the whole log instead.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { AppsEngineHarness, RoomFixture, SentMessage, UserFixture } from '../harness';
import { readBody } from '../read-body';
import { listenOn } from './listen';
import type { MattermostChat } from './mattermost-chat';

export interface ChatWorld {
  /** Set once the runtime is up; until then the API answers 503. */
  harness?: AppsEngineHarness;
  users: UserFixture[];
  rooms: RoomFixture[];
  /** Shown on the page: what to type at the demo provider's login. */
  demoAccounts?: Array<{ id: string; name: string }>;
  /** The app's commands' errors, for the terminal. */
  onCommandError?: (message: string) => void;
  /** The Mattermost side, when npm start runs it. */
  mattermost?: MattermostChat;
}

/** Where the chat page reaches the Mattermost service (its public base URL's path). */
export const MATTERMOST_SERVICE_PATH = '/mattermost-service';

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
};

const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const commandSchema = z.object({
  platform: z.enum(['rocketchat', 'mattermost']).default('rocketchat'),
  userId: z.string().min(1).max(100),
  roomId: z.string().min(1).max(100),
  text: z.string().trim().min(1).max(2000),
});

export const MAX_MESSAGES_PER_ROOM = 500;

export interface ChatServerOptions {
  /** Default MAX_MESSAGES_PER_ROOM. */
  maxMessagesPerRoom?: number;
  /** Default a random one. */
  runId?: string;
}

export function createChatServer(world: ChatWorld, pageDir: string, options: ChatServerOptions = {}): Server {
  const log = new MessageLog(options.maxMessagesPerRoom ?? MAX_MESSAGES_PER_ROOM, options.runId ?? randomUUID());
  const server = createServer((req, res) => {
    route(world, log, pageDir, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : 'internal error' });
      else res.destroy();
    });
  });
  // Collected on each request, and meanwhile too: the harness keeps what it is not asked for.
  const collecting = setInterval(() => log.collect(world.harness), 1000).unref();
  server.on('close', () => clearInterval(collecting));
  return server;
}

/** Listens, turning "port in use" into a sentence that says what to do. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return listenOn(server, port, host, '--port');
}

interface LoggedMessage {
  seq: number;
  kind: SentMessage['kind'];
  roomId: string;
  toUserId?: string;
  text?: string;
  blocks?: unknown[];
}

/** The messages the app sent, numbered in the order sent, the last `max` of each room kept. */
class MessageLog {
  private next = 0;
  private readonly rooms = new Map<string, LoggedMessage[]>();

  constructor(
    private readonly max: number,
    readonly runId: string,
  ) {}

  /** The number of the last message logged; -1 while there is none. */
  get last(): number {
    return this.next - 1;
  }

  /** Moves what the harness holds into the log (one synchronous step: nothing sent in between is lost). */
  collect(harness: AppsEngineHarness | undefined): void {
    const fresh = harness?.messages() ?? [];
    if (fresh.length === 0) return;
    harness!.clearMessages();
    for (const { kind, roomId, toUserId, text, blocks } of fresh) {
      const room = this.rooms.get(roomId) ?? [];
      room.push({ seq: this.next++, kind, roomId, toUserId, text, blocks });
      if (room.length > this.max) room.splice(0, room.length - this.max);
      this.rooms.set(roomId, room);
    }
  }

  visibleTo(userId: string, memberOf: ReadonlySet<string>, after: number) {
    return [...this.rooms.values()]
      .flat()
      .filter((m) => m.seq > after && (m.kind === 'ephemeral' ? m.toUserId === userId : memberOf.has(m.roomId)))
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq, kind, roomId, text, blocks }) => ({ seq, kind, roomId, text, blocks }));
  }
}

async function route(world: ChatWorld, log: MessageLog, pageDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const harness = world.harness;
  log.collect(harness);
  if (url.pathname.startsWith('/api/') && !harness) return sendJson(res, 503, { error: 'Still starting: try again in a moment.' });
  if (url.pathname.startsWith('/api/apps/')) return proxy(harness!.baseUrl, req, res);
  if (url.pathname.startsWith(`${MATTERMOST_SERVICE_PATH}/`) && world.mattermost) return proxy(world.mattermost.serviceAddress, req, res);
  const mattermost = url.searchParams.get('platform') === 'mattermost' ? world.mattermost : undefined;
  if (url.searchParams.get('platform') === 'mattermost' && !mattermost) return sendJson(res, 404, { error: 'Mattermost is not running in this npm start.' });
  const page = PAGE_FILES[url.pathname];
  if (page && req.method === 'GET') {
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': page.type });
    res.end(readFileSync(join(pageDir, page.file)));
    return;
  }
  if (url.pathname === '/api/chat/state' && req.method === 'GET') {
    if (mattermost) return sendJson(res, 200, { ...mattermost.state(), demoAccounts: world.demoAccounts ?? [] });
    return sendJson(res, 200, {
      platforms: world.mattermost ? ['rocketchat', 'mattermost'] : ['rocketchat'],
      users: world.users.map(({ id, username, name, roles }) => ({ id, username, name, admin: (roles ?? []).includes('admin') })),
      rooms: world.rooms,
      demoAccounts: world.demoAccounts ?? [],
    });
  }
  if (url.pathname === '/api/chat/messages' && req.method === 'GET') {
    const userId = url.searchParams.get('userId') ?? '';
    const run = url.searchParams.get('run');
    // A cursor from another run (a page left open across a restart) counts nothing here.
    const after = run && run !== log.runId ? -1 : Number(url.searchParams.get('after') ?? '-1');
    if (mattermost) return sendJson(res, 200, { run: log.runId, ...mattermost.messages(userId, Number.isFinite(after) ? after : -1) });
    const memberOf = new Set(world.rooms.filter((room) => room.members.includes(userId)).map((room) => room.id));
    return sendJson(res, 200, { run: log.runId, last: log.last, messages: log.visibleTo(userId, memberOf, Number.isFinite(after) ? after : -1) });
  }
  if (url.pathname === '/api/chat/command' && req.method === 'POST') return runCommand(world, harness!, req, res);
  if (url.pathname === '/api/chat/action' && req.method === 'POST' && world.mattermost) return clickButton(world.mattermost, req, res);
  sendJson(res, 404, { error: 'not found' });
}

/** The request's JSON body; or, once a 400 naming the fields expected has been sent, undefined. */
async function jsonBody(req: IncomingMessage, res: ServerResponse, limit: number, fields: string): Promise<{ body: unknown } | undefined> {
  try {
    return { body: JSON.parse((await readBody(req, limit)).toString('utf8')) };
  } catch {
    sendJson(res, 400, { error: `The body must be JSON: {${fields}}.` });
    return undefined;
  }
}

async function runCommand(world: ChatWorld, harness: AppsEngineHarness, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await jsonBody(req, res, 64 * 1024, '"userId", "roomId", "text"');
  if (!read) return;
  const parsed = commandSchema.safeParse(read.body);
  if (!parsed.success)
    return sendJson(res, 400, { error: `Invalid command request: ${parsed.error.issues[0].path.join('.')} ${parsed.error.issues[0].message}` });
  const { platform, userId, roomId, text } = parsed.data;
  if (platform === 'mattermost') {
    if (!world.mattermost) return sendJson(res, 404, { error: 'Mattermost is not running in this npm start.' });
    const refused = await world.mattermost.command(userId, roomId, text);
    return refused ? sendJson(res, 400, { error: refused }) : sendJson(res, 200, { ok: true });
  }
  const user = world.users.find((u) => u.id === userId);
  const room = world.rooms.find((r) => r.id === roomId);
  if (!user || !room || !room.members.includes(userId)) return sendJson(res, 400, { error: 'Unknown user or room, or the user is not in that room.' });
  if (!text.startsWith('/')) return sendJson(res, 400, { error: 'Only slash commands run here: try /oauth help.' });
  const [command, ...args] = text.slice(1).split(/\s+/);
  if (command !== 'oauth') return sendJson(res, 400, { error: `There is no /${command} here: try /oauth help.` });
  try {
    await harness.runCommand({ command, args, userId, roomId });
    sendJson(res, 200, { ok: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    world.onCommandError?.(message);
    sendJson(res, 500, { error: 'The app failed to answer; the terminal shows its log.' });
  }
}

const clickSchema = z.object({ userId: z.string().min(1).max(100), postId: z.string().min(1).max(100), actionId: z.string().min(1).max(100) });

async function clickButton(mattermost: MattermostChat, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await jsonBody(req, res, 16 * 1024, '"userId", "postId", "actionId"');
  if (!read) return;
  const parsed = clickSchema.safeParse(read.body);
  if (!parsed.success) return sendJson(res, 400, { error: 'Invalid click: userId, postId and actionId are needed.' });
  const refused = await mattermost.click(parsed.data.userId, parsed.data.postId, parsed.data.actionId);
  return refused ? sendJson(res, 400, { error: refused }) : sendJson(res, 200, { ok: true });
}

/** Streams a request to the harness's endpoint server and its answer back, unchanged. */
function proxy(target: string, req: IncomingMessage, res: ServerResponse): void {
  const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => sendJson(res, 502, { error: 'The app runtime is not answering.' }));
  req.pipe(upstream);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}
