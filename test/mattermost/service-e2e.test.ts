/**
 * The Mattermost service end to end, through a stand-in for a Mattermost server (which cannot run
 * here: tools/mattermost-standin, written from the server's source) and against oidc-provider over
 * real HTTP on 127.0.0.1: the same journeys the Rocket.Chat app passes on its runtime.
 */
import Database from 'better-sqlite3';
import { eventually } from '../support/eventually';
import { AppBrowser } from '../support/app-browser';
import type { TestAuthServer } from '../support/auth-servers';
import { DEMO_CLIENT, startDemoProvider } from '../support/demo-oidc';
import { authorizeAs } from '../support/user-agent';
import { SealedTokenStore } from '../../src/core/sealed-stores';
import { startMattermostWorld, type MattermostWorld } from '../../tools/sandbox/mattermost-world';
import type { WirePost } from '../../tools/mattermost-standin';

type Who = 'alice' | 'bob';

let world: MattermostWorld;
let provider: TestAuthServer;
let base: string;
const browsers: Record<Who, AppBrowser> = { alice: new AppBrowser(), bob: new AppBrowser() };

beforeAll(async () => {
  world = await startMattermostWorld({
    providers: async ([redirectUri]) => {
      provider = await startDemoProvider(redirectUri, { accessTokenTTL: 4, rotateRefreshToken: true });
      return [{ preset: 'oidc', id: 'demo', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret, site: provider.issuer }];
    },
  });
  base = world.publicBase;
}, 60_000);

afterAll(async () => {
  await world?.close();
  await provider?.close();
});

const channelOf = (who: Who) => (who === 'alice' ? world.channels.town : world.channels.bobs);

/** What the user sees after typing `/oauth <text>`: the ephemeral text, and the buttons with their post. */
async function oauth(who: Who, text: string, channelId = channelOf(who)) {
  const run = await world.standIn.runSlashCommand({ userId: world.people[who].id, channelId, text: `/oauth ${text}` });
  expect(run.error).toBeUndefined();
  expect(run.posts).toEqual([]); // never in_channel: nothing is posted as the user
  return { run, text: run.ephemeral.map(textOfPost).join('\n'), buttons: run.ephemeral.flatMap(buttonsOf) };
}

function textOfPost(post: WirePost): string {
  const attachments = (post.props?.attachments ?? []) as Array<{ text?: string; footer?: string }>;
  return [post.message, ...attachments.flatMap((a) => [a.text, a.footer].filter(Boolean))].join('\n');
}

function buttonsOf(post: WirePost): Array<{ postId: string; id: string; name: string }> {
  const attachments = (post.props?.attachments ?? []) as Array<{ actions?: Array<{ id: string; name: string; integration?: unknown }> }>;
  return attachments.flatMap((a) => a.actions ?? []).map((action) => ({ postId: post.id, id: action.id, name: action.name }));
}

/** Clicks the Connect button: the service answers with the user's own link. */
async function connectLink(who: Who, channelId = channelOf(who)): Promise<string> {
  const { buttons } = await oauth(who, 'connect demo', channelId);
  const button = buttons.find((b) => b.name.includes('Demo'));
  expect(button).toBeDefined();
  const click = await world.standIn.clickButton({ userId: world.people[who].id, postId: button!.postId, actionId: button!.id });
  expect(click.status).toBe(200);
  const answer = click.ephemeral.map((post) => post.message).join('\n');
  const link = /\((http[^)\s]+\/connect\?link=[^)\s]+)\)/.exec(answer)?.[1];
  expect(link).toBeDefined();
  return link!;
}

async function connect(who: Who, decision: 'approve' | 'deny' = 'approve', account: string = who) {
  const providerUrl = await browsers[who].startConnect(await connectLink(who));
  const callback = await authorizeAs(providerUrl, { account, decision, redirectUriPrefix: `${base}/complete` });
  const told = () => noticesFor(who).length + world.standIn.directMessages(world.people[who].id).length;
  const before = told();
  const page = await browsers[who].fetch(callback);
  const html = await page.text();
  // The notice follows the page (the account name is read from the provider after it).
  await eventually(() => told() > before, `the notice to ${who}`);
  return { page, html, callback };
}

/** The user's tokens, opened with the service's key, from the SQLite file the service writes. */
async function storedTokens(who: Who) {
  const { storage, config } = world.instances[0];
  const connection = await new SealedTokenStore(storage.tokens, { ring: config.keyRing }).get(world.people[who].id, 'demo');
  return connection?.tokens;
}

function noticesFor(who: Who, channelId = channelOf(who)): string[] {
  return world.standIn.ephemeralFor(world.people[who].id, channelId).map(textOfPost);
}

describe('the Mattermost service through a stand-in for a Mattermost server (which cannot run here), against oidc-provider', () => {
  it('answers /oauth help ephemerally, in the user’s Mattermost language', async () => {
    expect((await oauth('alice', 'help')).text).toContain('/oauth connect');
    expect((await oauth('bob', 'status')).text).toContain('Demo: nicht verbunden');
  });

  it('shows the setup and the redirect URI to system admins only', async () => {
    const admin = await world.standIn.runSlashCommand({ userId: world.people.ada.id, channelId: world.channels.town, text: '/oauth help' });
    const adminText = admin.ephemeral.map(textOfPost).join('\n');
    expect(adminText).toContain('*For admins*');
    expect(adminText).toContain(`register this redirect URI at the provider: \`${base}/complete\``);
    expect((await oauth('alice', 'help')).text).not.toContain('redirect URI');
  });

  it('connect, approve: a success page, the notice in the channel the user typed in, the token sealed in the database', async () => {
    const { page, html } = await connect('alice');
    expect(page.status).toBe(200);
    expect(html).toContain('Connected');
    expect(html).not.toMatch(/code=|state=/);
    // After the Connect reply and the click's link, the notice, through the command's response_url.
    expect(noticesFor('alice').at(-1)).toBe('You are now connected to Demo as alice.');
    expect(noticesFor('bob')).not.toEqual(expect.arrayContaining([expect.stringContaining('alice')]));
    const tokens = await storedTokens('alice');
    expect(tokens?.accessToken).toBeTruthy();
    // The database holds the tokens only sealed.
    const file = world.instances[0].config.storage.sqlitePath;
    const raw = JSON.stringify(new Database(file, { readonly: true }).prepare('SELECT * FROM tokens').all());
    for (const secret of [tokens!.accessToken, tokens!.refreshToken!]) expect(raw).not.toContain(secret);
    expect((await oauth('alice', 'status')).text).toContain('Demo: connected as alice');
  });

  it('token: masked, never the token itself', async () => {
    const tokens = await storedTokens('alice');
    const { text } = await oauth('alice', 'token demo');
    expect(text).toContain(`…${tokens!.accessToken.slice(-4)}`);
    expect(text).not.toContain(tokens!.accessToken);
  });

  it('whoami asks the provider with the token', async () => {
    expect((await oauth('alice', 'whoami demo')).text).toContain('Demo says you are *alice*');
  });

  it('refresh rotates the refresh token; an expired token is renewed on its next use', async () => {
    const first = await storedTokens('alice');
    expect((await oauth('alice', 'refresh demo')).text).toContain('Your Demo token was renewed');
    const second = await storedTokens('alice');
    expect(second!.accessToken).not.toBe(first!.accessToken);
    expect(second!.refreshToken).not.toBe(first!.refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await oauth('alice', 'whoami demo')).text).toContain('Demo says you are *alice*');
    expect((await storedTokens('alice'))!.accessToken).not.toBe(second!.accessToken);
  });

  it('two users in two channels: each sees only their own notices and connection, in their own language', async () => {
    const { page } = await connect('bob', 'approve', 'bob');
    expect(page.status).toBe(200);
    expect(noticesFor('bob')).toEqual(expect.arrayContaining([expect.stringContaining('Du bist jetzt als bob mit Demo verbunden')]));
    expect(world.standIn.ephemeralFor(world.people.alice.id).map(textOfPost).join('\n')).not.toContain('als bob');
    expect((await oauth('bob', 'status')).text).toContain('verbunden als bob');
    expect((await oauth('alice', 'status')).text).toContain('connected as alice');
  });

  it('deny: the page says so and nothing is stored', async () => {
    await oauth('bob', 'revoke demo');
    const { page, html } = await connect('bob', 'deny', 'bob');
    expect(page.status).toBe(200);
    expect(html).toMatch(/denied|abgelehnt|verweigert/i);
    expect(await storedTokens('bob')).toBeUndefined();
  });

  it("when the command's response_url is spent, the notice comes as a direct message from the bot", async () => {
    await oauth('bob', 'revoke demo');
    const { run, buttons } = await oauth('bob', 'connect demo');
    // Mattermost honours a response_url five times (app/webhook.go); something else used them all.
    for (let use = 0; use < 5; use++) {
      await fetch(new Map(run.sent!.form).get('response_url')!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x' }),
      });
    }
    const click = await world.standIn.clickButton({ userId: world.people.bob.id, postId: buttons[0].postId, actionId: buttons[0].id });
    const link = /\((http[^)\s]+\/connect\?link=[^)\s]+)\)/.exec(click.ephemeral.map((post) => post.message).join('\n'))![1];
    const callback = await authorizeAs(await browsers.bob.startConnect(link), { account: 'bob', redirectUriPrefix: `${base}/complete` });
    expect((await browsers.bob.fetch(callback)).status).toBe(200);
    await eventually(
      () => world.standIn.directMessages(world.people.bob.id).some((post) => textOfPost(post).includes('Du bist jetzt als bob mit Demo verbunden')),
      'the direct message',
    );
  });

  it('a replayed callback is refused and changes nothing', async () => {
    const { callback } = await connect('bob', 'approve', 'bob');
    const tokens = await storedTokens('bob');
    const again = await browsers.bob.fetch(callback);
    expect(again.status).toBe(400);
    expect((await storedTokens('bob'))!.accessToken).toBe(tokens!.accessToken);
  });

  it("one user's provider URL completed in another user's browser is refused", async () => {
    const providerUrl = await browsers.alice.startConnect(await connectLink('alice'));
    const callback = await authorizeAs(providerUrl, { account: 'carol', redirectUriPrefix: `${base}/complete` });
    const before = (await storedTokens('alice'))!.accessToken;
    const page = await browsers.bob.fetch(callback);
    expect(page.status).toBe(400);
    expect((await storedTokens('alice'))!.accessToken).toBe(before);
  });

  it("a state from one user's link with another account's code is refused", async () => {
    const aliceUrl = await browsers.alice.startConnect(await connectLink('alice'));
    const bobUrl = await browsers.bob.startConnect(await connectLink('bob'));
    const aliceCallback = await authorizeAs(aliceUrl, { account: 'alice', redirectUriPrefix: `${base}/complete` });
    const bobCallback = await authorizeAs(bobUrl, { account: 'bob', redirectUriPrefix: `${base}/complete` });
    // Alice's state, Bob's code, in Alice's browser: the code was issued for Bob's PKCE challenge.
    const swapped = new URL(aliceCallback);
    swapped.searchParams.set('code', bobCallback.searchParams.get('code')!);
    const before = (await storedTokens('alice'))!.accessToken;
    const page = await browsers.alice.fetch(swapped);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect((await storedTokens('alice'))!.accessToken).toBe(before);
  });

  it('a forged command token is a 401 with no detail, and nothing is done', async () => {
    const form = new URLSearchParams({
      token: 'not-the-token',
      team_id: world.team.id,
      channel_id: world.channels.town,
      user_id: world.people.alice.id,
      user_name: 'alice',
      command: '/oauth',
      text: 'revoke demo',
      response_url: `${world.standIn.siteUrl}/hooks/commands/x`,
    });
    const response = await fetch(`${base}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Token not-the-token' },
      body: form,
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('');
    expect(await storedTokens('alice')).toBeDefined();
  });

  it('a forged button click is refused: made up, or replayed by another user', async () => {
    const { buttons } = await oauth('alice', 'connect demo');
    const click = await world.standIn.clickButton({ userId: world.people.alice.id, postId: buttons[0].postId, actionId: buttons[0].id });
    const genuine = click.sent!.request;
    const post = (body: unknown) =>
      fetch(`${base}/mattermost/action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const replayed = await post({ ...genuine, user_id: world.people.bob.id, user_name: 'bob' });
    expect(replayed.status).toBe(403);
    expect(await replayed.text()).toBe('');
    const madeUp = await post({ ...genuine, context: { ...genuine.context, v: 'https://evil.example/connect' } });
    expect(madeUp.status).toBe(403);
  });

  it('a grant the provider ends while the user is away: one direct message from the bot with a working Connect button', async () => {
    await oauth('bob', 'revoke demo');
    await connect('bob', 'approve', 'bob');
    const tokens = (await storedTokens('bob'))!;
    // The grant ends at the provider (RFC 7009): its refresh token dies with it.
    const revoked = await fetch(provider.endpoints.revocation, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${DEMO_CLIENT.clientId}:${DEMO_CLIENT.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.refreshToken!, token_type_hint: 'refresh_token' }).toString(),
    });
    expect(revoked.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 4100));
    const before = world.standIn.directMessages(world.people.bob.id).length;
    await oauth('bob', 'whoami demo');
    await oauth('bob', 'whoami demo');
    const told = world.standIn.directMessages(world.people.bob.id).slice(before);
    expect(told.map(textOfPost)).toEqual([expect.stringContaining('Deine Verbindung zu Demo ist beendet')]);
    expect((await oauth('bob', 'status')).text).toContain('Demo: muss neu verbunden werden');
    // The button in the direct message is Bob's, and leads to his own link.
    const [button] = buttonsOf(told[0]);
    const click = await world.standIn.clickButton({ userId: world.people.bob.id, postId: button.postId, actionId: button.id });
    expect(click.status).toBe(200);
    expect(click.ephemeral.map((post) => post.message).join('\n')).toMatch(/\/connect\?link=/);
    const stolen = await world.standIn.clickButton({ userId: world.people.alice.id, postId: button.postId, actionId: button.id });
    expect(stolen.ephemeral.map((post) => post.message).join('\n')).not.toMatch(/\/connect\?link=/);
  });

  it('revoke: the provider reports the tokens inactive, and status says not connected', async () => {
    const tokens = (await storedTokens('alice'))!;
    expect((await oauth('alice', 'revoke demo')).text).toContain('Disconnected from Demo');
    const credentials = { clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret, authMethod: DEMO_CLIENT.authMethod };
    expect((await provider.introspect(tokens.accessToken, credentials)).active).toBe(false);
    expect((await provider.introspect(tokens.refreshToken!, credentials)).active).toBe(false);
    expect(await storedTokens('alice')).toBeUndefined();
    expect((await oauth('alice', 'status')).text).toContain('not connected');
  });
});
