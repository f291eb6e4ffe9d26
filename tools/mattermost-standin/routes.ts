/**
 * The REST API v4 routes the service and the conformance test use, and POST /hooks/commands/{id},
 * behind one handler that does what web/handlers.go ServeHTTP does for every route: a request id,
 * JSON answers (exactly `application/json`, which Client4 requires to parse them), the body limit, the
 * token from `Authorization: Bearer …` or `Token …`, the session check, and errors as AppError JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { doPostAction } from './actions';
import { createCommand, listCommands, regenerateToken, updateCommand } from './commands';
import { getOrCreateDirectChannel, userView } from './directory';
import { AppError, invalidBodyParam, invalidUrlParam, permissionError, routeNotFound, sessionExpired } from './errors';
import { isValidId, newId } from './ids';
import { canReadChannel, hasChannelPermission, hasPermission, hasTeamPermission } from './permissions';
import { createPost, sendEphemeral } from './posts';
import { commandResponseJson, executeCommand, handleResponseUrl } from './slash-commands';
import { clientView, copy, type World } from './store';
import { commandBodySchema, doActionBodySchema, ephemeralBodySchema, executeBodySchema, postBodySchema, stringArraySchema } from './wire';
import type { z } from 'zod';

/** ServiceSettings.MaximumPayloadSizeBytes (300000 by default) plus bytes.MinRead, as ServeHTTP allows. */
const MAX_BODY_BYTES = 300_000 + 512;

interface Context {
  world: World;
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  body: Buffer;
  /** The caller; routes that need no session may have none. */
  userId: string;
}

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  /** Whom the request acted for when no token says it (a response_url names its user). */
  actingUserId?: string;
}

interface Route {
  method: string;
  path: RegExp;
  session: boolean;
  handle(context: Context): Reply | Promise<Reply>;
}

const ok = (json: unknown, status = 200): Reply => ({ status, json });

/** json.NewDecoder(r.Body).Decode into a struct, checked with the route's schema. */
function decode<T extends z.ZodType>(body: Buffer, schema: T, param: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalidBodyParam(param, String(error));
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalidBodyParam(param, result.error.message);
  return result.data;
}

/** RequireUserId and friends: `me` is the caller; anything else must be a Mattermost id. */
function requireId(context: Context, name: string): string {
  const value = context.params[name];
  if (value === 'me' && name === 'user_id') return context.userId;
  if (!isValidId(value)) throw invalidUrlParam(name);
  return value;
}

/** A route as gorilla/mux declares it: `{name}` is `[A-Za-z0-9]+`, `{name:pattern}` its own pattern. */
const route = (method: string, path: string, handle: Route['handle'], session = true): Route => ({
  method,
  path: new RegExp(`^${path.replace(/\{(\w+)(?::([^}]+))?\}/g, (_all, name: string, pattern?: string) => `(?<${name}>${pattern ?? '[A-Za-z0-9]+'})`)}$`),
  session,
  handle,
});

const ROUTES: Route[] = [
  route('GET', '/api/v4/system/ping', () => ok({ status: 'OK', ActiveSearchBackend: 'database' }), false),

  route('GET', '/api/v4/users/me', ({ world, userId }) => ok(userView(mustUser(world, userId), userId))),
  route('POST', '/api/v4/users/ids', ({ world, userId, body }) => {
    const ids = decodeIds(body);
    return ok(ids.flatMap((id) => (world.users.has(id) ? [userView(mustUser(world, id), userId)] : [])));
  }),
  route('GET', '/api/v4/users/username/{username:[A-Za-z0-9_.-]+}', ({ world, userId, params }) => {
    const user = [...world.users.values()].find((candidate) => candidate.username === params.username.toLowerCase());
    if (!user) throw new AppError('app.user.get_by_username.app_error', 404);
    return ok(userView(user, userId));
  }),
  route('GET', '/api/v4/users/{user_id}/teams', (context) => {
    const id = requireId(context, 'user_id');
    if (id !== context.userId && !hasPermission(context.world.subject(context.userId), 'manage_system')) throw permissionError(context.userId, 'manage_system');
    return ok([...context.world.teams.values()].filter((record) => record.members.has(id)).map((record) => copy(record.team)));
  }),
  route('GET', '/api/v4/users/{user_id}', (context) => {
    const id = requireId(context, 'user_id');
    return ok(userView(mustUser(context.world, id), context.userId));
  }),

  // api4/team.go getTeamByName: a name nobody has is a 404; seeing the team needs view_team.
  route('GET', '/api/v4/teams/name/{team_name:[a-z0-9_-]+}', (context) => {
    const record = [...context.world.teams.values()].find((candidate) => candidate.team.name === context.params.team_name);
    if (!record) throw new AppError('app.team.get_by_name.missing.app_error', 404);
    if (!hasTeamPermission(context.world.subject(context.userId), record.team.id, 'view_team')) throw permissionError(context.userId, 'view_team');
    return ok(copy(record.team));
  }),
  route('GET', '/api/v4/teams/{team_id}', (context) => {
    const id = requireId(context, 'team_id');
    const record = context.world.teams.get(id);
    if (!record) throw new AppError('app.team.get.find.app_error', 404);
    if (!hasTeamPermission(context.world.subject(context.userId), id, 'view_team')) throw permissionError(context.userId, 'view_team');
    return ok(copy(record.team));
  }),

  route('POST', '/api/v4/channels/direct', ({ world, userId, body }) => {
    // model.ArrayFromJSON ignores a body it cannot read: that is then "not two ids".
    let ids: string[] = [];
    try {
      const parsed = stringArraySchema.safeParse(JSON.parse(body.toString('utf8')));
      if (parsed.success) ids = parsed.data;
    } catch {
      ids = [];
    }
    if (ids.length !== 2) throw invalidBodyParam('user_ids');
    if (ids.some((id) => !isValidId(id))) throw invalidBodyParam('user_id');
    const subject = world.subject(userId);
    if (!hasPermission(subject, 'create_direct_channel')) throw permissionError(userId, 'create_direct_channel');
    if (!ids.includes(userId) && !hasPermission(subject, 'manage_system')) throw permissionError(userId, 'manage_system');
    return ok(getOrCreateDirectChannel(world, ids[0], ids[1]), 201);
  }),
  route('GET', '/api/v4/channels/{channel_id}/posts', (context) => {
    const id = requireId(context, 'channel_id');
    const channel = mustChannel(context.world, id);
    if (!canReadChannel(context.world.subject(context.userId), channel)) throw permissionError(context.userId, 'read_channel_content');
    const page = Number(context.url.searchParams.get('page') ?? '0') || 0;
    const perPage = Math.min(Number(context.url.searchParams.get('per_page') ?? '60') || 60, 200);
    const newestFirst = context.world
      .postsOf(id)
      .reverse()
      .slice(page * perPage, (page + 1) * perPage);
    return ok({
      order: newestFirst.map((post) => post.id),
      posts: Object.fromEntries(newestFirst.map((post) => [post.id, clientView(post)])),
      next_post_id: '',
      prev_post_id: '',
      has_next: false,
      first_inaccessible_post_time: 0,
    });
  }),
  route('GET', '/api/v4/channels/{channel_id}', (context) => {
    const id = requireId(context, 'channel_id');
    const channel = mustChannel(context.world, id);
    if (!canReadChannel(context.world.subject(context.userId), channel)) throw permissionError(context.userId, 'read_channel');
    return ok(copy(channel));
  }),

  route('POST', '/api/v4/posts/ephemeral', ({ world, userId, body }) => {
    const request = decode(body, ephemeralBodySchema, 'body');
    if (!request.user_id) throw invalidBodyParam('user_id');
    if (!request.post) throw invalidBodyParam('post');
    if (!hasPermission(world.subject(userId), 'create_post_ephemeral')) throw permissionError(userId, 'create_post_ephemeral');
    const post = request.post;
    return ok(
      sendEphemeral(world, request.user_id, { userId, channelId: post.channel_id ?? '', message: post.message, rootId: post.root_id, props: post.props }),
      201,
    );
  }),
  route('POST', '/api/v4/posts/{post_id}/actions/{action_id}', async (context) => {
    const postId = requireId(context, 'post_id');
    // An empty body is allowed, for older clients.
    const request = context.body.length === 0 ? { cookie: undefined, selected_option: undefined } : decode(context.body, doActionBodySchema, 'action_request');
    const outcome = await doPostAction(context.world, {
      userId: context.userId,
      postId,
      actionId: context.params.action_id,
      cookie: request.cookie,
      selectedOption: request.selected_option,
    });
    if (outcome.error) throw outcome.error;
    return ok(outcome.result);
  }),
  route('GET', '/api/v4/posts/{post_id}', (context) => {
    const id = requireId(context, 'post_id');
    const post = context.world.posts.get(id);
    const channel = post ? context.world.channel(post.channel_id) : undefined;
    if (!post || !canReadChannel(context.world.subject(context.userId), channel)) {
      // getPost answers "not found" rather than leak a post the caller may not read.
      throw new AppError('app.post.get.app_error', 404);
    }
    return ok(clientView(post));
  }),
  route('POST', '/api/v4/posts', ({ world, userId, body }) => {
    const input = decode(body, postBodySchema, 'post');
    const channel = world.channel(input.channel_id ?? '');
    // userCreatePostPermissionCheckWithContext: a missing channel is a permission error, not a 404.
    if (!hasChannelPermission(world.subject(userId), channel, 'create_post') || !channel) throw permissionError(userId, 'create_post');
    if (channel.delete_at !== 0) throw new AppError('api.post.create_post.can_not_post_to_deleted.error', 400);
    return ok(createPost(world, { userId, channelId: channel.id, message: input.message, rootId: input.root_id, type: input.type, props: input.props }), 201);
  }),

  route('POST', '/api/v4/commands/execute', async ({ world, userId, body }) => {
    const args = decode(body, executeBodySchema, 'command_args');
    const command = args.command ?? '';
    if (command.length <= 1 || !command.startsWith('/') || !isValidId(args.channel_id ?? ''))
      throw new AppError('api.command.execute_command.start.app_error', 400);
    const outcome = await executeCommand(world, { userId, channelId: args.channel_id ?? '', teamId: args.team_id, rootId: args.root_id, command });
    if (outcome.error) throw outcome.error;
    return ok(commandResponseJson(outcome.response ?? {}));
  }),
  route('PUT', '/api/v4/commands/{command_id}', (context) =>
    ok(updateCommand(context.world, context.userId, requireId(context, 'command_id'), decode(context.body, commandBodySchema, 'command'))),
  ),
  route('PUT', '/api/v4/commands/{command_id}/regen_token', (context) => ok(regenerateToken(context.world, context.userId, requireId(context, 'command_id')))),
  route('POST', '/api/v4/commands', ({ world, userId, body }) => ok(createCommand(world, userId, decode(body, commandBodySchema, 'command')), 201)),
  route('GET', '/api/v4/commands', ({ world, userId, url }) =>
    ok(listCommands(world, userId, url.searchParams.get('team_id'), url.searchParams.get('custom_only') === 'true')),
  ),

  route(
    'POST',
    '/hooks/commands/{hook_id}',
    ({ world, req, params, body }) => {
      const outcome = handleResponseUrl(world, params.hook_id, req.headers['content-type'] ?? '', body);
      if (outcome.error) throw outcome.error;
      return { status: 200, text: 'ok', actingUserId: outcome.userId };
    },
    false,
  ),
];

function decodeIds(body: Buffer): string[] {
  // model.SortedArrayFromJSON: an unreadable or empty list is an invalid user_ids.
  let ids: string[];
  try {
    const parsed = stringArraySchema.safeParse(JSON.parse(body.toString('utf8')));
    ids = parsed.success ? parsed.data : [];
  } catch {
    ids = [];
  }
  if (ids.length === 0) throw invalidBodyParam('user_ids');
  return [...new Set(ids)].sort();
}

function mustUser(world: World, id: string) {
  const user = world.users.get(id);
  if (!user) throw new AppError('app.user.missing_account.const', 404);
  return user;
}

function mustChannel(world: World, id: string) {
  const channel = world.channel(id);
  if (!channel) throw new AppError('app.channel.get.existing.app_error', 404, { channel_id: id });
  return channel;
}

/**
 * app.ParseAuthTokenFromRequest: `Authorization: Bearer <token>` (the scheme in any case) or
 * `Token <token>` (lower-cased scheme compared).
 */
function tokenOf(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  if (header.length > 6 && header.slice(0, 6).toUpperCase() === 'BEARER') return header.slice(7);
  if (header.length > 5 && header.slice(0, 5).toLowerCase() === 'token') return header.slice(6);
  return '';
}

/**
 * http.MaxBytesReader: past the limit the body is refused with 413. The rest is read and dropped, so
 * the client, still sending, gets the answer rather than a reset connection.
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolveBody(size > limit ? 'too large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The one handler behind every route. */
export async function serve(world: World, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newId();
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const entry: (typeof world.log)[number] = { at: world.now(), direction: 'in', method: req.method ?? 'GET', url: url.pathname + url.search, status: 0 };
  world.log.push(entry);
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('X-Version-Id', '11.9.0.stand-in.0.false');

  const reply: Reply & { userId?: string } = await answer(world, req, url).catch((error: unknown) => {
    const appError = error instanceof AppError ? error : new AppError('api.context.json_encoding.app_error', 500, {}, String(error));
    return { status: appError.status, json: appError.body(requestId, world.settings.developerMode) };
  });
  entry.status = reply.status;
  entry.userId = reply.userId;
  if (reply.text !== undefined) {
    res.writeHead(reply.status, { 'Content-Type': 'text/plain' });
    res.end(reply.text);
  } else if (reply.json === undefined) {
    res.writeHead(reply.status);
    res.end();
  } else {
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply.json));
  }
}

async function answer(world: World, req: IncomingMessage, url: URL): Promise<Reply & { userId?: string }> {
  const candidates = ROUTES.filter((candidate) => candidate.path.test(url.pathname));
  if (candidates.length === 0) {
    if (url.pathname.startsWith('/api/v4/')) throw routeNotFound();
    return { status: 404, text: '404 page not found\n' };
  }
  const matched = candidates.find((candidate) => candidate.method === req.method);
  // gorilla/mux: the path exists, the method does not.
  if (!matched) return { status: 405 };

  const body = await readLimited(req, MAX_BODY_BYTES);
  if (body === 'too large') throw new AppError('api.context.request_body_too_large.app_error', 413);

  let userId = '';
  const token = tokenOf(req);
  if (token !== '') {
    const record = world.tokens.get(token);
    const user = record ? world.users.get(record.userId) : undefined;
    // A personal access token of a person (not a bot) works only with EnableUserAccessTokens on.
    const usable = record && user && (record.kind === 'session' || user.is_bot || world.settings.enableUserAccessTokens);
    if (usable) userId = user.id;
    else if (matched.session) throw sessionExpired(`token=${token}`);
  }
  if (matched.session && userId === '') throw sessionExpired('UserRequired');

  const params = matched.path.exec(url.pathname)?.groups ?? {};
  const reply = await matched.handle({ world, req, url, params: { ...params }, body, userId });
  return { ...reply, userId: userId || reply.actingUserId };
}
