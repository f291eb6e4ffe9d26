/**
 * The Mattermost stand-in, driven the way the service and Mattermost's own clients will drive it:
 * Mattermost's official JavaScript client (@mattermost/client's Client4) over HTTP for the REST API,
 * and a small local integration receiving the slash commands and button clicks the stand-in sends.
 * No Mattermost server can run on these machines, so these tests pin the stand-in to the behaviour
 * read from Mattermost's server source (cited in tools/mattermost-standin/).
 */
import { Client4, ClientError } from '@mattermost/client';
import {
  MattermostStandIn,
  RESPONSE_URL_LIFETIME_MS,
  type AppErrorBody,
  type StandInOptions,
  type Channel,
  type Command,
  type Team,
  type WireUser,
} from '../../tools/mattermost-standin';
import { describeDemo, startDemo } from '../../tools/mattermost-standin/main';
import { json, startReceiver, text, type Receiver } from './receiver';

const ERROR_FIELDS = ['id', 'message', 'detailed_error', 'request_id', 'status_code'];

let mm: MattermostStandIn;
let receiver: Receiver;
let clock: number;
let team: Team;
let alice: WireUser;
let ada: WireUser;
let terry: WireUser;
let bot: { user: WireUser; token: string };
let townSquare: Channel;

async function seed(options: StandInOptions = {}) {
  clock = Date.UTC(2026, 0, 1, 9, 0, 0);
  // The receiver runs on this machine: the admin lists it in AllowedUntrustedInternalConnections.
  mm = await MattermostStandIn.start({ now: () => clock, integrationTimeoutMs: 5000, allowedUntrustedInternalConnections: ['127.0.0.1'], ...options });
  team = mm.addTeam({ name: 'acme', displayName: 'Acme' });
  alice = mm.addUser({ username: 'alice', firstName: 'Alice', lastName: 'Liddell', nickname: 'al', locale: 'fr', teams: [team.id] });
  ada = mm.addUser({ username: 'ada', roles: 'system_admin', teams: [team.id] });
  terry = mm.addUser({ username: 'terry', teams: [team.id] });
  mm.addTeamMember(team.id, terry.id, { admin: true });
  bot = mm.addBot({ username: 'oauth-bot', owner: ada.id, displayName: 'OAuth' });
  townSquare = mm.addChannel(team.id, { name: 'town-square', displayName: 'Town Square', members: [alice.id, ada.id, terry.id] });
}

function client(token?: string): Client4 {
  const c = new Client4();
  c.setUrl(mm.url);
  if (token) c.setToken(token);
  return c;
}

async function refusal(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ClientError)) throw new Error(`expected Client4 to throw a ClientError, got ${String(error)}`);
  return error;
}

/** The oauth command, registered by the admin, pointing at the local receiver. */
function oauthCommand(extra: Partial<Command> = {}): Command {
  return mm.addCommand(ada.id, { team_id: team.id, trigger: 'oauth', url: `${receiver.url}/mattermost/command`, auto_complete: true, ...extra });
}

beforeAll(async () => {
  receiver = await startReceiver(text('unused'));
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(async () => {
  receiver.received.length = 0;
  await seed();
});

afterEach(async () => {
  await mm.close();
});

describe('Mattermost stand-in (stands in for a Mattermost server, which cannot run here)', () => {
  describe("Mattermost's own client, Client4, talks to it", () => {
    test('with a bot token it reads the bot itself, and users with their roles, locale and names', async () => {
      const botClient = client(bot.token);
      const me = await botClient.getMe();
      expect(me).toMatchObject({ id: bot.user.id, username: 'oauth-bot', is_bot: true, first_name: 'OAuth', roles: 'system_user' });

      const admin = await botClient.getUser(ada.id);
      expect(admin.roles.split(' ')).toContain('system_admin');
      const person = await botClient.getUser(alice.id);
      expect(person).toMatchObject({ username: 'alice', first_name: 'Alice', last_name: 'Liddell', nickname: 'al', locale: 'fr', is_bot: false });
      expect(person).not.toHaveProperty('password');

      const both = await botClient.getProfilesByIds([alice.id, ada.id, 'x'.repeat(26)]);
      expect(both.map((user) => user.username).sort()).toEqual(['ada', 'alice']);
      await expect(client(mm.loginAs(alice.id)).getMyTeams()).resolves.toEqual([expect.objectContaining({ id: team.id, name: 'acme' })]);
    });

    test('ping answers without a token; every other route wants one', async () => {
      await expect(client().ping(false)).resolves.toMatchObject({ status: 'OK' });
      const error = await refusal(client().getMe());
      expect(error.status_code).toBe(401);
      expect(error.server_error_id).toBe('api.context.session_expired.app_error');
      expect(error.message).toBe('Invalid or expired session, please login again.');
    });

    test('a forged token is refused with 401 in Mattermost error shape, and nothing is done', async () => {
      const response = await fetch(`${mm.url}/api/v4/posts`, {
        method: 'POST',
        headers: { Authorization: 'Bearer forgedforgedforgedforged12', 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel_id: townSquare.id, message: 'should never appear' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json');
      const body = (await response.json()) as AppErrorBody;
      expect(Object.keys(body)).toEqual(ERROR_FIELDS);
      expect(body).toMatchObject({ id: 'api.context.session_expired.app_error', status_code: 401, detailed_error: '' });
      expect(body.request_id).toBe(response.headers.get('x-request-id'));

      expect(mm.postsIn(townSquare.id)).toEqual([]);
      const last = mm.requests.at(-1);
      expect(last).toMatchObject({ direction: 'in', method: 'POST', url: '/api/v4/posts', status: 401 });
      expect(last?.userId).toBeUndefined();
    });

    test("a person's access token works only once the admin enables personal access tokens", async () => {
      const token = mm.addPersonalAccessToken(alice.id);
      expect((await refusal(client(token).getMe())).status_code).toBe(401);
      await mm.close();

      await seed({ enableUserAccessTokens: true });
      const enabled = mm.addPersonalAccessToken(alice.id);
      await expect(client(enabled).getMe()).resolves.toMatchObject({ username: 'alice' });
    });

    test('the bot opens a direct channel with a user: 201, the sorted ids as name, the same channel again', async () => {
      const response = await fetch(`${mm.url}/api/v4/channels/direct`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bot.token}` },
        body: JSON.stringify([bot.user.id, alice.id]),
      });
      expect(response.status).toBe(201);
      const channel = (await response.json()) as Channel;
      expect(channel).toMatchObject({ type: 'D', team_id: '', name: [bot.user.id, alice.id].sort().join('__') });

      const again = await client(bot.token).createDirectChannel([alice.id, bot.user.id]);
      expect(again.id).toBe(channel.id);

      const post = await client(bot.token).createPost({ channel_id: channel.id, message: 'Your GitHub connection needs renewing.' });
      expect(post).toMatchObject({ channel_id: channel.id, user_id: bot.user.id, message: 'Your GitHub connection needs renewing.' });
      expect(mm.directMessages(alice.id, bot.user.id).map((p) => p.message)).toEqual(['Your GitHub connection needs renewing.']);
      expect(mm.directMessages(terry.id)).toEqual([]);
    });

    test('a malformed body or id is 400, an unknown user or route 404, each with its own message', async () => {
      const asBot = client(bot.token);
      expect(await refusal(asBot.createDirectChannel([alice.id]))).toMatchObject({
        status_code: 400,
        server_error_id: 'api.context.invalid_body_param.app_error',
        message: 'Invalid or missing user_ids in request body.',
      });
      expect(await refusal(asBot.getUser('not-an-id'))).toMatchObject({ status_code: 404, server_error_id: 'api.context.404.app_error' });
      expect(await refusal(asBot.getUser('short'))).toMatchObject({
        status_code: 400,
        message: 'Invalid or missing user_id parameter in request URL.',
      });
      expect(await refusal(asBot.getUser('a'.repeat(26)))).toMatchObject({ status_code: 404, message: 'Unable to find the user.' });
      const broken = await fetch(`${mm.url}/api/v4/posts`, { method: 'POST', headers: { Authorization: `Bearer ${bot.token}` }, body: '{"channel_id": 7' });
      expect(broken.status).toBe(400);
      expect(((await broken.json()) as AppErrorBody).message).toBe('Invalid or missing post in request body.');
    });

    test('a body over the payload limit is refused with 413 in Mattermost error shape', async () => {
      const error = await refusal(client(mm.loginAs(alice.id)).createPost({ channel_id: townSquare.id, message: 'x'.repeat(400_000) }));
      expect(error).toMatchObject({ status_code: 413, server_error_id: 'api.context.request_body_too_large.app_error' });
      expect(mm.postsIn(townSquare.id)).toEqual([]);
    });

    test('a direct channel between two other users is refused to a plain user and the bot', async () => {
      const error = await refusal(client(bot.token).createDirectChannel([alice.id, terry.id]));
      expect(error.status_code).toBe(403);
      expect(error.server_error_id).toBe('api.context.permissions.app_error');
      await expect(client(mm.loginAs(ada.id)).createDirectChannel([alice.id, terry.id])).resolves.toMatchObject({ type: 'D' });
    });

    test('posting needs channel membership: the bot is refused in a channel it is not in', async () => {
      const error = await refusal(client(bot.token).createPost({ channel_id: townSquare.id, message: 'hello' }));
      expect(error.status_code).toBe(403);
      expect(error.server_error_id).toBe('api.context.permissions.app_error');
      expect(error.message).toBe('You do not have the appropriate permissions.');
      expect(mm.postsIn(townSquare.id)).toEqual([]);

      await client(mm.loginAs(alice.id)).createPost({ channel_id: townSquare.id, message: 'hello' });
      expect(mm.postsIn(townSquare.id).map((post) => [post.user_id, post.message])).toEqual([[alice.id, 'hello']]);
    });

    test('ephemeral posts need create_post_ephemeral: the bot is refused, a system admin is not', async () => {
      const error = await refusal(client(bot.token).createPostEphemeral(alice.id, { channel_id: townSquare.id, message: 'only for you' }));
      expect(error.status_code).toBe(403);
      expect(mm.ephemeralFor(alice.id)).toEqual([]);

      const sent = await client(mm.loginAs(ada.id)).createPostEphemeral(alice.id, { channel_id: townSquare.id, message: 'only for you' });
      expect(sent).toMatchObject({ type: 'system_ephemeral', user_id: ada.id });
      expect(mm.ephemeralFor(alice.id, townSquare.id).map((post) => post.message)).toEqual(['only for you']);
      expect(mm.ephemeralFor(terry.id)).toEqual([]);
      expect(mm.postsIn(townSquare.id)).toEqual([]);
    });

    test('an admin creates the team command and gets its token; a plain user is refused in Mattermost error shape', async () => {
      // Client4 types the body as a whole Command; the server reads only the fields a client sets.
      const command = {
        team_id: team.id,
        trigger: 'OAuth',
        url: `${receiver.url}/mattermost/command`,
        method: 'P',
        auto_complete: true,
        auto_complete_desc: 'Connect accounts',
      } as Command;
      const created = await client(mm.loginAs(ada.id)).addCommand(command);
      expect(created).toMatchObject({ trigger: 'oauth', team_id: team.id, creator_id: ada.id, method: 'P' });
      expect(created.token).toMatch(/^[a-z0-9]{26}$/);

      const refused = await refusal(client(mm.loginAs(alice.id)).addCommand({ ...command, trigger: 'other' }));
      expect(refused).toMatchObject({
        status_code: 403,
        server_error_id: 'api.context.permissions.app_error',
        message: 'You do not have the appropriate permissions.',
      });
      const raw = await fetch(`${mm.url}/api/v4/commands`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bot.token}` },
        body: JSON.stringify(command),
      });
      expect(raw.status).toBe(403);
      expect(Object.keys((await raw.json()) as AppErrorBody)).toEqual(ERROR_FIELDS);

      // A team admin may; the trigger is then taken.
      const duplicate = await refusal(client(mm.loginAs(terry.id)).addCommand(command));
      expect(duplicate).toMatchObject({ status_code: 400, server_error_id: 'api.command.duplicate_trigger.app_error' });
    });

    test("listing commands: tokens only in the managers' custom list; plain users see auto-complete commands sanitized", async () => {
      const created = oauthCommand();
      const custom = await client(mm.loginAs(ada.id)).getCustomTeamCommands(team.id);
      expect(custom).toEqual([expect.objectContaining({ id: created.id, token: created.token, url: created.url })]);

      const seenByAlice = await client(mm.loginAs(alice.id)).getCommandsList(team.id);
      expect(seenByAlice).toEqual([expect.objectContaining({ id: created.id, trigger: 'oauth', token: '', url: '' })]);
      expect((await refusal(client(mm.loginAs(alice.id)).getCustomTeamCommands(team.id))).status_code).toBe(403);
    });

    test('a regenerated token replaces the old one in what the integration receives', async () => {
      const created = oauthCommand();
      const { token } = await client(mm.loginAs(ada.id)).regenCommandToken(created.id);
      expect(token).not.toBe(created.token);
      receiver.answer(json({ text: 'ok' }));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth status' });
      expect(run.sent?.headers.Authorization).toBe(`Token ${token}`);
      expect(new URLSearchParams(receiver.received[0].body).get('token')).toBe(token);

      const hidden = await refusal(client(mm.loginAs(alice.id)).regenCommandToken(created.id));
      expect(hidden.status_code).toBe(404);
    });

    test('a stored post keeps its buttons’ integration server-side: no client ever reads it', async () => {
      const dm = await client(bot.token).createDirectChannel([bot.user.id, alice.id]);
      const props = {
        attachments: [
          {
            text: 'Connection lost',
            actions: [{ id: 'reconnect', name: 'Reconnect', type: 'button', integration: { url: `${receiver.url}/action`, context: { secret: 's3cret' } } }],
          },
        ],
      };
      const created = await client(bot.token).createPost({ channel_id: dm.id, message: '', props });
      expect(JSON.stringify(created)).not.toContain('s3cret');
      const read = await client(mm.loginAs(alice.id)).getPost(created.id);
      expect(JSON.stringify(read)).not.toContain('s3cret');
      expect(read.props.attachments).toEqual([expect.objectContaining({ actions: [expect.objectContaining({ id: 'reconnect', name: 'Reconnect' })] })]);
      expect(JSON.stringify(mm.directMessages(alice.id))).not.toContain('integration');
    });
  });

  describe('slash commands are sent exactly as Mattermost sends them', () => {
    test('a form POST with the command token: fields, headers and the response_url', async () => {
      const command = oauthCommand();
      receiver.answer(json({ response_type: 'ephemeral', text: 'Pick a provider' }));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/OAuth connect github' });
      expect(run.status).toBe(200);

      expect(receiver.received).toHaveLength(1);
      const [request] = receiver.received;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/mattermost/command');
      expect(request.headers).toMatchObject({
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Token ${command.token}`,
        'user-agent': 'Mattermost-Bot/1.1',
        'accept-encoding': 'gzip',
      });
      const form = new URLSearchParams(request.body);
      // url.Values.Encode: keys in order; root_id is always there, empty outside threads.
      expect([...form.keys()]).toEqual([
        'channel_id',
        'channel_name',
        'command',
        'response_url',
        'root_id',
        'team_domain',
        'team_id',
        'text',
        'token',
        'trigger_id',
        'user_id',
        'user_name',
      ]);
      expect(Object.fromEntries(form)).toMatchObject({
        channel_id: townSquare.id,
        channel_name: 'town-square',
        command: '/oauth',
        root_id: '',
        team_domain: 'acme',
        team_id: team.id,
        text: 'connect github',
        token: command.token,
        user_id: alice.id,
        user_name: 'alice',
      });
      expect(form.get('response_url')).toMatch(new RegExp(`^${mm.siteUrl}/hooks/commands/[a-z0-9]{26}$`));
      const trigger = Buffer.from(form.get('trigger_id') ?? '', 'base64').toString('utf8');
      expect(trigger).toMatch(new RegExp(`^[a-z0-9]{26}:${alice.id}:\\d+:`));

      expect(run.ephemeral.map((post) => post.message)).toEqual(['Pick a provider']);
      expect(mm.ephemeralFor(alice.id, townSquare.id).map((post) => post.message)).toEqual(['Pick a provider']);
      expect(mm.ephemeralFor(terry.id)).toEqual([]);
      expect(mm.postsIn(townSquare.id)).toEqual([]);
    });

    test('a command registered with method G sends its fields in the query, with no body', async () => {
      const command = oauthCommand({ method: 'G', url: `${receiver.url}/mattermost/command?source=mm` });
      receiver.answer(text('ok'));
      await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth status' });
      const [request] = receiver.received;
      expect(request.method).toBe('GET');
      expect(request.body).toBe('');
      expect(request.headers['content-type']).toBeUndefined();
      const query = new URL(request.path, receiver.url).searchParams;
      expect(query.get('source')).toBe('mm');
      expect(query.get('token')).toBe(command.token);
      expect(query.get('text')).toBe('status');
    });

    test('an integration on this machine is refused until the admin allows its address', async () => {
      await mm.close();
      await seed({ allowedUntrustedInternalConnections: [] });
      oauthCommand();
      receiver.answer(text('never asked'));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect' });
      expect(run).toMatchObject({ status: 500, error: { message: "Command with a trigger of 'oauth' failed." } });
      expect(receiver.received).toEqual([]);

      await mm.close();
      await seed({ allowedUntrustedInternalConnections: ['127.0.0.0/8'] });
      oauthCommand();
      expect((await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect' })).status).toBe(200);
      expect(receiver.received).toHaveLength(1);
    });

    test('mentions of team members and public channels are sent as extra fields', async () => {
      oauthCommand();
      receiver.answer(text(''));
      await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth share @terry. ~town-square @nobody' });
      const form = new URLSearchParams(receiver.received[0].body);
      expect(form.getAll('users_mentioned')).toEqual(['terry']);
      expect(form.getAll('users_mentioned_ids')).toEqual([terry.id]);
      expect(form.getAll('channels_mentioned')).toEqual(['town-square']);
      expect(form.getAll('channels_mentioned_ids')).toEqual([townSquare.id]);
    });

    test('an answer that is not application/json is plain text, shown as it is', async () => {
      oauthCommand();
      receiver.answer(text('{"text": "not parsed"}', 200, 'text/plain; charset=utf-8'));
      const plain = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth help' });
      expect(plain.ephemeral.map((post) => post.message)).toEqual(['{"text": "not parsed"}']);

      receiver.answer(text('{"text": "parsed"}', 200, 'application/json; charset=utf-8'));
      const parsed = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth help' });
      expect(parsed.ephemeral.map((post) => post.message)).toEqual(['parsed']);
    });

    test('in_channel posts as the user, Slack-style links turned into Markdown', async () => {
      oauthCommand();
      receiver.answer(json({ response_type: 'in_channel', text: 'Connected to <https://github.com|GitHub>' }));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth share' });
      expect(run.ephemeral).toEqual([]);
      const posts = mm.postsIn(townSquare.id);
      expect(posts).toHaveLength(1);
      expect(posts[0]).toMatchObject({ user_id: alice.id, message: 'Connected to [GitHub](https://github.com)' });
      expect(posts[0].props).toMatchObject({ from_webhook: 'true' });
    });

    test('extra_responses are posted too; a response moved to a channel the user is not in fails the command', async () => {
      oauthCommand();
      const elsewhere = mm.addChannel(team.id, { name: 'admins', type: 'P', members: [ada.id] });
      receiver.answer(json({ text: 'first', extra_responses: [{ text: 'second' }, { response_type: 'in_channel', text: 'third' }] }));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth status' });
      expect(run.ephemeral.map((post) => post.message)).toEqual(['first', 'second']);
      expect(run.posts.map((post) => post.message)).toEqual(['third']);

      receiver.answer(json({ text: 'sneaking in', channel_id: elsewhere.id }));
      const moved = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth status' });
      expect(moved.status).toBe(500);
      expect(moved.error?.message).toBe("Command 'oauth' failed to post response. Please contact your System Administrator.");
      expect(mm.ephemeralFor(alice.id, elsewhere.id)).toEqual([]);
    });

    test('in a direct channel the command of the team the client is in runs, with the channel named by its ids', async () => {
      const command = oauthCommand();
      const dm = await client(bot.token).createDirectChannel([bot.user.id, alice.id]);
      receiver.answer(text('Connected accounts: none'));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: dm.id, teamId: team.id, text: '/oauth status' });
      expect(run.ephemeral.map((post) => [post.channel_id, post.message])).toEqual([[dm.id, 'Connected accounts: none']]);
      const form = new URLSearchParams(receiver.received[0].body);
      expect(Object.fromEntries(form)).toMatchObject({ channel_id: dm.id, channel_name: dm.name, team_id: team.id, team_domain: 'acme', token: command.token });
    });

    test('any status but 200 is an error, shown as Mattermost shows it, and nothing is posted', async () => {
      oauthCommand();
      receiver.answer(json({ text: 'created?' }, 201));
      const created = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect' });
      expect(created.status).toBe(500);
      expect(created.error).toMatchObject({
        id: 'api.command.execute_command.failed_resp.app_error',
        message: "Command with a trigger of 'oauth' returned response 201 Created.",
        detailed_error: '',
      });
      expect(created.ephemeral).toEqual([]);

      receiver.answer(text('boom', 500));
      const failed = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect' });
      expect(failed.error?.message).toBe("Command with a trigger of 'oauth' returned response 500 Internal Server Error.");
      expect(mm.ephemeralFor(alice.id)).toEqual([]);
    });

    test('JSON that does not read as a command response fails the command', async () => {
      oauthCommand();
      receiver.answer(text('{"text": 42}', 200, 'application/json'));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth' });
      expect(run.error?.message).toBe("Command with a trigger of 'oauth' failed.");
    });

    test('an integration slower than the timeout fails the command', async () => {
      await mm.close();
      await seed({ integrationTimeoutMs: 200 });
      oauthCommand();
      receiver.answer(async (_request, res) => {
        await new Promise((resolveLater) => setTimeout(resolveLater, 1000));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"text":"too late"}');
      });
      const started = Date.now();
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect' });
      expect(Date.now() - started).toBeLessThan(900);
      expect(run.status).toBe(500);
      expect(run.error?.message).toBe("Command with a trigger of 'oauth' failed.");
      expect(run.ephemeral).toEqual([]);
    });

    test('at most 1 MiB of the answer is read', async () => {
      oauthCommand();
      receiver.answer(text('a'.repeat(2 * 1024 * 1024)));
      const long = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth' });
      expect(long.ephemeral[0].message).toHaveLength(1024 * 1024);

      receiver.answer(json({ text: 'a'.repeat(2 * 1024 * 1024) }));
      const cut = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth' });
      expect(cut.error?.message).toBe("Command with a trigger of 'oauth' failed.");
    });

    test('an unknown trigger, or a channel the user is not in, never reaches the integration', async () => {
      oauthCommand();
      const unknown = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/nothing here' });
      expect(unknown).toMatchObject({ status: 404, error: { id: 'api.command.execute_command.not_found.app_error' } });
      const outsider = await mm.runSlashCommand({ userId: bot.user.id, channelId: townSquare.id, text: '/oauth connect' });
      expect(outsider).toMatchObject({ status: 403, error: { id: 'api.context.permissions.app_error' } });
      expect(receiver.received).toEqual([]);
    });

    test('Client4 runs the command through the execute route and gets the response', async () => {
      oauthCommand();
      receiver.answer(json({ text: 'Hello', goto_location: 'https://example.com/' }));
      const response = await client(mm.loginAs(alice.id)).executeCommand('/oauth hello', { channel_id: townSquare.id, team_id: team.id });
      expect(response).toMatchObject({
        response_type: '',
        text: 'Hello',
        goto_location: 'https://example.com/',
        trigger_id: expect.stringMatching(/^[a-z0-9]{26}$/),
      });
      expect(mm.ephemeralFor(alice.id).map((post) => post.message)).toEqual(['Hello']);
    });
  });

  describe('response_url answers later, as Mattermost allows', () => {
    async function responseUrl(): Promise<string> {
      oauthCommand();
      receiver.answer(text(''));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      expect(run.ephemeral).toEqual([]);
      return new URLSearchParams(receiver.received[0].body).get('response_url') ?? '';
    }

    const post = (url: string, body: string, contentType = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body });

    test('JSON or text, answered "ok", shown to the user in that channel; the sixth use is refused', async () => {
      const url = await responseUrl();
      const first = await post(url, JSON.stringify({ text: 'Connected as @octocat' }));
      expect(first.status).toBe(200);
      expect(await first.text()).toBe('ok');
      expect((await post(url, 'plain words', 'text/plain')).status).toBe(200);
      expect((await post(url, JSON.stringify({ response_type: 'in_channel', text: 'alice connected GitHub' }))).status).toBe(200);
      expect((await post(url, JSON.stringify({ text: 'four' }))).status).toBe(200);
      expect((await post(url, JSON.stringify({ text: 'five' }))).status).toBe(200);

      const sixth = await post(url, JSON.stringify({ text: 'six' }));
      expect(sixth.status).toBe(400);
      expect(await sixth.json()).toMatchObject({ id: 'app.command_webhook.try_use.invalid', message: 'Invalid webhook.' });

      expect(mm.ephemeralFor(alice.id, townSquare.id).map((p) => p.message)).toEqual(['Connected as @octocat', 'plain words', 'four', 'five']);
      expect(mm.postsIn(townSquare.id).map((p) => [p.user_id, p.message])).toEqual([[alice.id, 'alice connected GitHub']]);
      expect(mm.ephemeralFor(terry.id)).toEqual([]);
    });

    test('it expires 30 minutes after the command', async () => {
      const url = await responseUrl();
      clock += RESPONSE_URL_LIFETIME_MS - 1000;
      expect((await post(url, JSON.stringify({ text: 'still in time' }))).status).toBe(200);
      clock += 1000;
      const late = await post(url, JSON.stringify({ text: 'too late' }));
      expect(late.status).toBe(404);
      expect(await late.json()).toMatchObject({ id: 'app.command_webhook.get.missing', message: 'Unable to find the webhook.' });
      expect(mm.ephemeralFor(alice.id).map((p) => p.message)).toEqual(['still in time']);
    });

    test('a body that does not parse is refused without spending a use', async () => {
      const url = await responseUrl();
      const broken = await post(url, '{not json');
      expect(broken.status).toBe(400);
      expect(((await broken.json()) as AppErrorBody).id).toBe('web.command_webhook.parse.app_error');
      for (let use = 1; use <= 5; use += 1) expect((await post(url, JSON.stringify({ text: `use ${use}` }))).status).toBe(200);
    });
  });

  describe('button clicks are delivered as Mattermost delivers them', () => {
    const connectButton = () => ({
      response_type: 'ephemeral',
      text: 'Connect your GitHub account',
      attachments: [
        {
          text: 'GitHub',
          actions: [
            {
              id: 'connect',
              name: 'Connect',
              type: 'button',
              style: 'primary',
              integration: { url: `${receiver.url}/action`, context: { flow: 'f-123', mac: 'signed' } },
            },
          ],
        },
      ],
    });

    test('an ephemeral button carries a cookie, not its integration; a click POSTs the action request with no credentials', async () => {
      oauthCommand();
      receiver.answer(json(connectButton()));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      const [shown] = run.ephemeral;
      expect(JSON.stringify(shown)).not.toContain('f-123');
      expect(JSON.stringify(mm.ephemeralFor(alice.id))).not.toContain('integration');
      expect(shown.props.attachments).toEqual([
        expect.objectContaining({ actions: [expect.objectContaining({ id: 'connect', name: 'Connect', cookie: expect.any(String) })] }),
      ]);

      receiver.received.length = 0;
      receiver.answer(json({ ephemeral_text: 'Opening <https://github.com/login|GitHub>…' }));
      const click = await mm.clickButton({ userId: alice.id, postId: shown.id, actionId: 'connect' });
      expect(click.status).toBe(200);
      expect(click.result).toEqual({ status: 'OK', trigger_id: expect.stringMatching(/^[a-z0-9]{26}$/) });

      expect(receiver.received).toHaveLength(1);
      const [request] = receiver.received;
      expect(request.path).toBe('/action');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBeUndefined();
      const body = JSON.parse(request.body);
      expect(Object.keys(body)).toEqual([
        'user_id',
        'user_name',
        'channel_id',
        'channel_name',
        'team_id',
        'team_domain',
        'post_id',
        'trigger_id',
        'type',
        'data_source',
        'context',
      ]);
      expect(body).toMatchObject({
        user_id: alice.id,
        user_name: 'alice',
        channel_id: townSquare.id,
        channel_name: 'town-square',
        team_id: team.id,
        team_domain: 'acme',
        post_id: shown.id,
        type: 'button',
        data_source: '',
        context: { flow: 'f-123', mac: 'signed' },
      });
      expect(click.ephemeral.map((post) => post.message)).toEqual(['Opening [GitHub](https://github.com/login)…']);
    });

    test('another user cannot click a button of a channel they cannot read', async () => {
      oauthCommand();
      receiver.answer(json(connectButton()));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      receiver.received.length = 0;
      const stranger = await mm.clickButton({ userId: bot.user.id, postId: run.ephemeral[0].id, actionId: 'connect' });
      expect(stranger.status).toBe(403);
      expect(receiver.received).toEqual([]);
    });

    test('an update replaces a stored post; on an ephemeral post it fails with 404 after the integration was called', async () => {
      const dm = await client(bot.token).createDirectChannel([bot.user.id, alice.id]);
      const action = { id: 'reconnect', name: 'Reconnect', type: 'button', integration: { url: `${receiver.url}/action`, context: { n: 1 } } };
      const stored = await client(bot.token).createPost({ channel_id: dm.id, message: 'GitHub disconnected', props: { attachments: [{ actions: [action] }] } });
      receiver.answer(json({ update: { message: 'GitHub reconnected' } }));
      const click = await mm.clickButton({ userId: alice.id, postId: stored.id, actionId: 'reconnect' });
      expect(click.status).toBe(200);
      expect(mm.directMessages(alice.id).map((post) => post.message)).toEqual(['GitHub reconnected']);
      expect(click.updated.map((post) => post.message)).toEqual(['GitHub reconnected']);

      oauthCommand();
      receiver.answer(json(connectButton()));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      receiver.received.length = 0;
      receiver.answer(json({ update: { message: 'Connected' } }));
      const onEphemeral = await mm.clickButton({ userId: alice.id, postId: run.ephemeral[0].id, actionId: 'connect' });
      expect(receiver.received).toHaveLength(1);
      expect(onEphemeral).toMatchObject({ status: 404, error: { id: 'app.post.get.app_error' } });
    });

    test('an action id other than letters and digits matches no route: the click goes nowhere', async () => {
      oauthCommand();
      const button = connectButton();
      button.attachments[0].actions[0].id = 'connect-github';
      receiver.answer(json(button));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      receiver.received.length = 0;
      const click = await mm.clickButton({ userId: alice.id, postId: run.ephemeral[0].id, actionId: 'connect-github' });
      expect(click).toMatchObject({ status: 404, error: { id: 'api.context.404.app_error' } });
      expect(receiver.received).toEqual([]);
    });

    test('a failing integration is an action integration error for the client', async () => {
      oauthCommand();
      receiver.answer(json(connectButton()));
      const run = await mm.runSlashCommand({ userId: alice.id, channelId: townSquare.id, text: '/oauth connect github' });
      receiver.answer(text('nope', 500));
      const click = await mm.clickButton({ userId: alice.id, postId: run.ephemeral[0].id, actionId: 'connect' });
      expect(click).toMatchObject({ status: 400, error: { id: 'api.post.do_action.action_integration.app_error', message: 'Action integration error.' } });
    });

    test('Client4 clicks a stored post’s button through the actions route', async () => {
      const dm = await client(bot.token).createDirectChannel([bot.user.id, alice.id]);
      const action = { id: 'ack', name: 'OK', type: 'button', integration: { url: `${receiver.url}/action` } };
      const stored = await client(bot.token).createPost({ channel_id: dm.id, message: 'Token refreshed', props: { attachments: [{ actions: [action] }] } });
      receiver.answer(text(''));
      const answer = await client(mm.loginAs(alice.id)).doPostAction(stored.id, 'ack');
      expect(answer).toMatchObject({ status: 'OK' });
      expect(JSON.parse(receiver.received[0].body)).not.toHaveProperty('context');
    });
  });
  describe('as a process of its own, for a service under development', () => {
    test('the demo seeds a team, people, an admin and a bot, and prints where it listens and the tokens', async () => {
      const demo = await startDemo({ port: 0, host: '127.0.0.1' });
      try {
        const printed = describeDemo(demo);
        const address = /listening on (\S+)/.exec(printed)?.[1] ?? '';
        const botToken = /^bot oauth-bot \S+ token (\S+)$/m.exec(printed)?.[1] ?? '';
        const adaToken = /^user ada \S+ token (\S+)/m.exec(printed)?.[1] ?? '';
        expect(address).toBe(demo.standIn.url);

        const asBot = new Client4();
        asBot.setUrl(address);
        asBot.setToken(botToken);
        await expect(asBot.getMe()).resolves.toMatchObject({ username: 'oauth-bot', is_bot: true });

        const asAdmin = new Client4();
        asAdmin.setUrl(address);
        asAdmin.setToken(adaToken);
        const command = { team_id: demo.team.id, trigger: 'oauth', url: 'http://127.0.0.1:9/command', method: 'P' } as Command;
        await expect(asAdmin.addCommand(command)).resolves.toMatchObject({ trigger: 'oauth', token: expect.stringMatching(/^[a-z0-9]{26}$/) });
      } finally {
        await demo.standIn.close();
      }
    });
  });
});
