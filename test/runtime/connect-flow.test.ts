/**
 * End to end on the real runtime: the packaged app on Apps-Engine 1.62.0 (Deno), oidc-provider as
 * the authorization server over real HTTP, two users in two rooms. Every outbound call of the app
 * goes through the engine's HTTP accessor; the browser is the scripted user agent.
 */
import { watchNotice } from '../support/eventually';
import { AppsEngineHarness } from '../../tools/harness';
import type { TestAuthServer } from '../support/auth-servers';
import { DEMO_CLIENT as CLIENT, demoProviderSettings, startDemoProvider } from '../support/demo-oidc';
import { APP_ID, packagedZip, untilAnswered } from '../support/app-package';
import { AppBrowser } from '../support/app-browser';
import { authorizeAs } from '../support/user-agent';
import { openedTokens } from '../support/sealed-records';

const USERS = {
  alice: { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] },
  bob: { id: 'u-bob', username: 'bob', name: 'Bob', roles: ['user'] },
  carla: { id: 'u-carla', username: 'carla', name: 'Carla', roles: ['user'], language: 'de' },
};
const ROOMS = {
  alice: { id: 'r-alice', name: 'alice-room', members: ['u-alice'] },
  bob: { id: 'r-bob', name: 'bob-room', members: ['u-bob'] },
  carla: { id: 'r-carla', name: 'carla-room', members: ['u-carla'] },
};
type Who = keyof typeof USERS;

let harness: AppsEngineHarness;
let provider: TestAuthServer;
let completeUrl: string;

interface Reply {
  text: string;
  buttons: Array<{ actionId: string; url: string }>;
}

/** Runs `/oauth …` as a user in their room and returns the one ephemeral reply. */
async function oauth(who: Who, ...args: string[]): Promise<Reply> {
  harness.clearMessages();
  await harness.runCommand({ command: 'oauth', args, userId: USERS[who].id, roomId: ROOMS[who].id });
  const replies = harness.messages().filter((m) => m.kind === 'ephemeral' && m.toUserId === USERS[who].id);
  expect(replies).toHaveLength(1);
  expect(replies[0].roomId).toBe(ROOMS[who].id);
  return readReply(replies[0].blocks ?? []);
}

function readReply(blocks: unknown[]): Reply {
  const text = JSON.stringify(blocks);
  const buttons = (blocks as Array<{ type: string; elements?: Array<{ type: string; actionId: string; url: string }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button');
  return { text, buttons };
}

/** Each user's own browser (the flow cookie the connect page sets lives there). */
const browsers: Record<Who, AppBrowser> = { alice: new AppBrowser(), bob: new AppBrowser(), carla: new AppBrowser() };

/** Follows a Connect button like a browser: the confirmation page, its button, the provider, back to the app. */
async function connectThroughBrowser(who: Who, decision: 'approve' | 'deny' = 'approve', account: string = USERS[who].username) {
  const reply = await oauth(who, 'connect');
  const button = reply.buttons.find((b) => b.actionId === 'oauth-connect');
  expect(button).toBeDefined();
  const callback = await callbackFor(browsers[who], button!.url, account, decision);
  harness.clearMessages();
  const notice = watchNotice(harness, USERS[who].id);
  const page = await browsers[who].fetch(callback);
  const html = await page.text();
  // The notice follows the page (the account name is read from the provider after it).
  await notice.arrived();
  return { page, html, callback, notices: noticesFor(who), button: button! };
}

async function callbackFor(browser: AppBrowser, connectUrl: string, account: string, decision: 'approve' | 'deny' = 'approve'): Promise<URL> {
  return authorizeAs(await browser.startConnect(connectUrl), { account, decision, redirectUriPrefix: completeUrl });
}

function noticesFor(who: Who): string[] {
  return harness
    .messages()
    .filter((m) => m.kind === 'ephemeral' && m.toUserId === USERS[who].id)
    .map((m) => `${m.roomId}: ${JSON.stringify(m.blocks)}`);
}

/** The user's tokens as the app stored them (sealed in the record; opened with the app's key). */
async function storedTokenOf(who: Who): Promise<{ accessToken: string; refreshToken?: string } | undefined> {
  const record = harness
    .stored()
    .find((r) => r.associations.some((a) => a.model === 'user' && a.id === USERS[who].id) && r.associations.some((a) => a.id === 'oauth-token:demo'));
  return record && openedTokens(harness, record);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * 'always': a refresh token with every grant. 'openid-default': OpenID Connect Core 1.0 §11 as
 * oidc-provider applies it by default, a refresh token only for `offline_access` with
 * `prompt=consent`, which the app sends whenever it asks for `offline_access`.
 */
describe.each(['always', 'openid-default'] as const)('connecting on the real runtime against oidc-provider (refresh policy: %s)', (refreshPolicy) => {
  beforeAll(async () => {
    harness = await AppsEngineHarness.start();
    completeUrl = harness.publicUrl(APP_ID, 'complete');
    provider = await startDemoProvider(completeUrl, { refreshPolicy, accessTokenTTL: 2, rotateRefreshToken: true });
    for (const user of Object.values(USERS)) harness.addUser(user);
    for (const room of Object.values(ROOMS)) harness.addRoom(room);
    await harness.installZip(packagedZip());
    const settings = demoProviderSettings(provider);
    for (const [id, value] of Object.entries(settings)) await harness.setSetting(APP_ID, id, value);
  });

  afterAll(async () => {
    await harness?.stop();
    await provider?.close();
  });

  afterEach(() => {
    expect(harness.appErrors(APP_ID)).toEqual([]);
  });

  it('connect, approve: a success page, a notice in the room the user asked from, the token stored for that user', async () => {
    const { page, html, notices } = await connectThroughBrowser('alice');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('Connected');
    expect(html).not.toMatch(/code=|state=/);
    expect(notices).toEqual([expect.stringMatching(/^r-alice: .*You are now connected to Demo as alice/)]);
    expect((await storedTokenOf('alice'))?.accessToken).toBeTruthy();
    expect((await oauth('alice', 'status')).text).toContain('Demo: connected as alice');
    // The link that led here is spent now; no state is left pending.
    expect(harness.stored().filter((r) => r.associations.some((a) => a.id === 'oauth-link' || a.id === 'oauth-state'))).toEqual([]);
  });

  it("a user whose chat speaks German: the link and the state carry her name and language through the server's persistence, and every page and the notice are German", async () => {
    const recordsOf = (kind: string) =>
      harness
        .stored()
        .filter((r) => r.associations.some((a) => a.id === kind))
        .map((r) => (r.data as { record: Record<string, unknown> }).record);
    const reply = await oauth('carla', 'connect');
    const button = reply.buttons.find((b) => b.actionId === 'oauth-connect')!;
    // Read back as the server keeps it: nothing the app left out came back as null.
    expect(recordsOf('oauth-link')).toEqual([expect.objectContaining({ person: { displayName: 'Carla (@carla)', language: 'de' } })]);
    expect(Object.values(recordsOf('oauth-link')[0])).not.toContain(null);
    const page = await browsers.carla.open(button.url);
    expect(page.html).toContain('lang="de"');
    expect(page.html).toContain('Dies verbindet das Chat-Konto Carla (@carla)');
    const atProvider = await browsers.carla.startConnect(button.url);
    expect(recordsOf('oauth-state')).toEqual([expect.objectContaining({ context: expect.objectContaining({ language: 'de' }) })]);
    const callback = await authorizeAs(atProvider, { account: 'carol', redirectUriPrefix: completeUrl });
    harness.clearMessages();
    const notice = watchNotice(harness, USERS.carla.id);
    const done = await browsers.carla.fetch(callback);
    const html = await done.text();
    expect(done.status).toBe(200);
    expect(html).toContain('lang="de"');
    expect(html).toContain('Dein Konto bei Demo ist jetzt verbunden.');
    await notice.arrived();
    expect(noticesFor('carla')).toEqual([expect.stringMatching(/^r-carla: .*Du bist jetzt als carol mit Demo verbunden/)]);
  });

  it('connect, deny: the page and the room both say the user declined, nothing is stored', async () => {
    const { page, html, notices } = await connectThroughBrowser('bob', 'deny');
    expect(page.status).toBe(200);
    expect(html).toContain('You declined');
    expect(notices).toEqual([expect.stringMatching(/^r-bob: .*You declined the connection to Demo/)]);
    expect(await storedTokenOf('bob')).toBeUndefined();
  });

  it('token: account, scopes, expiry, last four characters and length, never the token', async () => {
    const stored = (await storedTokenOf('alice'))!;
    const { text } = await oauth('alice', 'token');
    expect(text).toContain(`…${stored.accessToken.slice(-4)}`);
    expect(text).toContain(`(${stored.accessToken.length} characters)`);
    expect(text).toContain('openid');
    expect(text).not.toContain(stored.accessToken);
    expect(text).not.toContain(stored.refreshToken);
  });

  it('refresh: the token really changes, and a rotated refresh token is never sent again', async () => {
    const before = (await storedTokenOf('alice'))!;
    await provider.resetTokenRequests();
    expect((await oauth('alice', 'refresh')).text).toContain('renewed');
    const after = (await storedTokenOf('alice'))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    await oauth('alice', 'refresh');
    const sent = (await provider.tokenRequests()).filter((r) => r.grantType === 'refresh_token').map((r) => r.refreshToken);
    expect(sent).toEqual([before.refreshToken, after.refreshToken]);
    expect((await provider.introspect((await storedTokenOf('alice'))!.accessToken, CLIENT)).active).toBe(true);
  });

  it('whoami: the account as the userinfo endpoint reports it', async () => {
    expect((await oauth('alice', 'whoami')).text).toContain('Demo says you are *alice*');
  });

  it('expiry: after the 2-second token expires, whoami refreshes once and works', async () => {
    const before = (await storedTokenOf('alice'))!;
    await sleep(2200);
    await provider.resetTokenRequests();
    expect((await oauth('alice', 'whoami')).text).toContain('Demo says you are *alice*');
    expect((await provider.tokenRequests()).filter((r) => r.grantType === 'refresh_token')).toHaveLength(1);
    expect((await storedTokenOf('alice'))!.accessToken).not.toBe(before.accessToken);
  });

  it("two users never see each other's token", async () => {
    await connectThroughBrowser('bob', 'approve', 'bob');
    const alice = (await storedTokenOf('alice'))!;
    const bob = (await storedTokenOf('bob'))!;
    expect(alice.accessToken).not.toBe(bob.accessToken);
    const bobSees = (await oauth('bob', 'token')).text;
    expect(bobSees).toContain(`…${bob.accessToken.slice(-4)}`);
    expect(bobSees).not.toContain(alice.accessToken.slice(-8));
    expect((await oauth('bob', 'whoami')).text).toContain('you are *bob*');
    expect(harness.messages().every((m) => m.toUserId === USERS.bob.id)).toBe(true);
  });

  it('a replayed callback changes nothing: 400 page, same token', async () => {
    const { callback } = await connectThroughBrowser('alice');
    const token = (await storedTokenOf('alice'))!.accessToken;
    const replay = await browsers.alice.fetch(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('no longer valid');
    expect((await storedTokenOf('alice'))!.accessToken).toBe(token);
  });

  it('a wrong or missing state gets a 400 page, never a stack trace', async () => {
    for (const query of ['?state=forged&code=x', '?code=x', '?state=a&state=b', '']) {
      const page = await fetch(`${completeUrl}${query}`);
      expect(page.status).toBe(400);
      const html = await page.text();
      expect(html).toContain('no longer valid');
      expect(html).not.toMatch(/at \w+ \(|Error:/);
    }
  });

  it("a state from one user's link used with another account's code binds nothing", async () => {
    const aliceBefore = (await storedTokenOf('alice'))!.accessToken;
    // Alice's link, started in the browser; the attacker (bob) completes the provider side with his own
    // account in his own authorization request, then swaps in alice's state.
    const aliceConnect = (await oauth('alice', 'connect')).buttons[0].url;
    const aliceState = new URL(await browsers.alice.startConnect(aliceConnect)).searchParams.get('state')!;
    const bobCallback = await callbackFor(browsers.bob, (await oauth('bob', 'connect')).buttons[0].url, 'bob');
    bobCallback.searchParams.set('state', aliceState);
    const page = await browsers.bob.fetch(bobCallback);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect((await storedTokenOf('alice'))!.accessToken).toBe(aliceBefore);
  });

  it("a prefetcher's visit of the link creates nothing; each press starts a flow that replaces the last; a bad link gets a 400 page", async () => {
    const link = (await oauth('bob', 'connect')).buttons[0].url;
    const states = () => harness.stored().filter((r) => r.associations.some((a) => a.id === 'oauth-state'));
    const before = states().length;
    const prefetch = await fetch(link, { redirect: 'manual' });
    expect(prefetch.status).toBe(200);
    expect(await prefetch.text()).toContain('Continue to Demo');
    expect(states()).toHaveLength(before);
    const first = await browsers.bob.startConnect(link);
    const second = await browsers.bob.startConnect(link);
    expect(new URL(second).searchParams.get('state')).not.toBe(new URL(first).searchParams.get('state'));
    // One link, one pending authorization: the second replaced the first.
    expect(states()).toHaveLength(before + 1);
    const bad = await fetch(link.replace(/link=[^&]+/, 'link=nope'), { redirect: 'manual' });
    expect(bad.status).toBe(400);
  });

  it('the Deno subprocess restarted keeps every connection', async () => {
    const pid = harness.denoProcessId(APP_ID)!;
    process.kill(pid, 'SIGKILL');
    // The engine restarts it; a command sent before Node has seen the exit would wait for a timeout.
    await harness.waitForRuntimeReady(APP_ID, { replacing: pid });
    const answered = await untilAnswered(
      () => (harness.clearMessages(), harness.runCommand({ command: 'oauth', args: ['status'], userId: USERS.alice.id, roomId: ROOMS.alice.id })),
      () => harness.messages().some((m) => m.toUserId === USERS.alice.id),
    );
    expect(answered).toBe(true);
    expect(harness.denoProcessId(APP_ID)).not.toBe(pid);
    expect((await oauth('alice', 'status')).text).toContain('Demo: connected as alice');
    expect((await oauth('bob', 'status')).text).toContain('Demo: connected as bob');
  });

  it('revoke: the provider reports both tokens inactive, the record is gone, status says not connected', async () => {
    const tokens = (await storedTokenOf('alice'))!;
    expect((await oauth('alice', 'revoke')).text).toContain('the provider revoked your tokens');
    expect((await provider.introspect(tokens.accessToken, CLIENT)).active).toBe(false);
    expect((await provider.introspect(tokens.refreshToken!, CLIENT)).active).toBe(false);
    expect(await storedTokenOf('alice')).toBeUndefined();
    expect((await oauth('alice', 'status')).text).toContain('Demo: not connected');
    const whoami = await oauth('alice', 'whoami');
    expect(whoami.text).toContain('not connected to Demo');
    expect(whoami.buttons.map((b) => b.actionId)).toEqual(['oauth-connect']);
  });
});
