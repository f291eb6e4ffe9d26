/**
 * The /oauth behaviour with no chat platform at all: the app layer on plain Node ports (memory
 * stores), a scripted provider (RecordingTransport), people and a notifier that record what a user
 * would see. What passes here needs nothing of Rocket.Chat, which is what lets a second platform
 * reuse it whole.
 */
import { runOAuthCommand } from '../../src/app/commands/router';
import { completeConnect } from '../../src/app/callback-flow';
import type { AppConfig } from '../../src/app/config';
import { confirmConnect, showConnectPage } from '../../src/app/connect-flow';
import { appRequest, processShared, type PlatformPorts } from '../../src/app/context';
import { translator } from '../../src/app/i18n';
import { BROWSER_COOKIE, newBrowserSecret } from '../../src/app/web/browser-cookie';
import { textOf, type Reply } from '../../src/app/reply';
import { STRICT_ENDPOINT_POLICY } from '../../src/core/endpoint-policy';
import { parseProviderDefinition } from '../../src/core/provider';
import { silentLogger } from '../../src/core/redact';
import { MemoryConnectLinks, MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';
import { json, RecordingTransport } from '../support/recording-transport';

const ACCESS_TOKEN = 'acme-access-token-0123456789';

function platform() {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const transport = new RecordingTransport();
  const told: Array<{ userId: string; roomId: string; text: string; buttons: number }> = [];
  const posted: Array<{ roomId: string; text: string; buttons: number }> = [];
  /** Work the app does after an answer (the callback's notice): a test awaits it with `settled`. */
  const after: Array<Promise<void>> = [];
  /** Whom the app asked the platform about: on a runtime each is a round trip, on Mattermost a REST call. */
  const peopleRead: string[] = [];
  const ports: PlatformPorts = {
    afterAnswer: (work) => void after.push(work()),
    transport,
    tokens: new MemoryTokenStore(),
    states: new MemoryStateStore(),
    links: new MemoryConnectLinks(clock.now),
    clock,
    logger: silentLogger,
    people: {
      find: async (userId) => {
        peopleRead.push(userId);
        return userId === 'u-ada' ? { displayName: 'Ada Lovelace (@ada)', language: 'de' } : undefined;
      },
      defaultLanguage: async () => 'en',
    },
    notifier: {
      tell: async (userId, roomId, reply) => {
        told.push({ userId, roomId, text: textOf(reply), buttons: reply.buttons?.length ?? 0 });
      },
      directRoom: async (userId) => `dm-${userId}`,
      post: async (roomId, reply) => {
        posted.push({ roomId, text: textOf(reply), buttons: reply.buttons?.length ?? 0 });
      },
    },
  };
  const definition = parseProviderDefinition({
    id: 'acme',
    displayName: 'Acme',
    endpoints: { authorization: 'https://id.acme.test/authorize', token: 'https://id.acme.test/token', userinfo: 'https://id.acme.test/me' },
    scopes: { default: ['read'] },
    profile: { accountNamePath: 'login' },
  });
  const config: AppConfig = {
    providers: [{ slot: 1, definition, client: { clientId: 'c-1', clientSecret: 's-1', redirectUri: 'https://chat.example.com/oauth/complete' } }],
    problems: [],
    connectUrl: 'https://chat.example.com/oauth/connect',
    redirectUri: 'https://chat.example.com/oauth/complete',
    endpointPolicy: STRICT_ENDPOINT_POLICY,
  };
  const shared = processShared();
  const app = () => appRequest(config, ports, shared);
  /** What Ada reads after typing `/oauth <words>`, in her language. */
  const command = async (words: string, language = 'en'): Promise<Reply[]> => {
    const replies: Reply[] = [];
    const { connector: _connector, ...rest } = app();
    const user = { id: 'u-ada', displayName: 'Ada Lovelace (@ada)', language, isAdmin: false };
    await runOAuthCommand({ ...rest, user, roomId: 'room-1', t: translator(language), reply: async (reply) => void replies.push(reply) }, words.split(' '));
    return replies;
  };
  const settled = () => Promise.all(after.splice(0));
  return { app, command, transport, told, posted, settled, peopleRead, links: ports.links, now: clock.now, advance: (ms: number) => (now += ms) };
}

/** The browser's part: open the Connect button's link, press Continue; answers the state and the cookie. */
async function pressConnect(p: ReturnType<typeof platform>): Promise<{ state: string; cookie: string }> {
  const [reply] = await p.command('connect', 'de');
  const link = new URL(reply.buttons![0].url).searchParams.get('link')!;
  const page = await showConnectPage(p.app(), { query: { link }, headers: {} });
  expect(page.status).toBe(200);
  expect(page.body).toContain('Ada Lovelace (@ada)');
  const cookie = page.headers['set-cookie'].split(';')[0];
  const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)![1];
  const start = await confirmConnect(p.app(), { query: { link }, headers: { cookie }, content: `confirm=${confirm}` });
  expect(start.status).toBe(303);
  const location = new URL(start.headers.location);
  expect(location.origin + location.pathname).toBe('https://id.acme.test/authorize');
  return { state: location.searchParams.get('state')!, cookie };
}

describe('the /oauth behaviour, on no chat platform (plain Node ports, a scripted provider)', () => {
  it('connects through the confirmation page and tells the user in their room, in their language', async () => {
    const p = platform();
    const { state, cookie } = await pressConnect(p);
    p.transport.answer(json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, scope: 'read' }), json({ login: 'ada-at-acme' }));
    const page = await completeConnect(p.app(), { query: { code: 'the-code', state }, headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    // The page answered before the profile was asked for: the account name, and the notice, follow it.
    expect(p.transport.requests.map((r) => r.url)).toEqual(['https://id.acme.test/token']);
    expect(p.told).toEqual([]);
    await p.settled();
    expect(p.transport.requests.map((r) => r.url)).toEqual(['https://id.acme.test/token', 'https://id.acme.test/me']);
    // The page and the notice are in Ada's language (German), in the room she asked from.
    expect(page.body).toContain('lang="de"');
    expect(p.told).toEqual([{ userId: 'u-ada', roomId: 'room-1', text: expect.stringContaining('ada-at-acme'), buttons: 0 }]);
    // Who Ada is and her language came with the link and the state: the platform was asked nothing.
    expect(p.peopleRead).toEqual([]);

    const [status] = await p.command('status');
    expect(textOf(status)).toContain('ada-at-acme');
    const [token] = await p.command('token');
    expect(textOf(token)).toContain('6789');
    expect(textOf(token)).not.toContain(ACCESS_TOKEN);
  });

  it('refuses the provider’s redirect in a browser without the flow cookie, and offers the user a new Connect button', async () => {
    const p = platform();
    const { state } = await pressConnect(p);
    const page = await completeConnect(p.app(), { query: { code: 'the-code', state }, headers: {} });
    expect(page.status).toBe(400);
    expect(p.transport.requests).toHaveLength(0);
    expect(p.told).toEqual([{ userId: 'u-ada', roomId: 'room-1', text: expect.any(String), buttons: 1 }]);
    const [status] = await p.command('status');
    expect(textOf(status)).toContain(translator('en')('status_not_connected', { provider: 'Acme' }));
  });

  it('answers a subcommand in the user’s language, and an expired link with a page that says so', async () => {
    const p = platform();
    const [reply] = await p.command('whoami', 'de');
    expect(textOf(reply)).toBe(translator('de')('error_not_connected', { provider: 'Acme' }));
    expect(reply.buttons).toHaveLength(1);
    const link = new URL(reply.buttons![0].url).searchParams.get('link')!;
    p.advance(11 * 60_000);
    const page = await showConnectPage(p.app(), { query: { link }, headers: {} });
    expect(page.status).toBe(400);
    expect(page.body).toContain(translator('en')('page_invalid_link'));
  });

  it('tells a user once, in a message kept in their direct conversation, when the provider ended their grant; status says it needs reconnecting', async () => {
    const p = platform();
    const { state, cookie } = await pressConnect(p);
    p.transport.answer(
      json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 60, refresh_token: 'the-refresh-token', scope: 'read' }),
      json({ login: 'ada-at-acme' }),
    );
    await completeConnect(p.app(), { query: { code: 'the-code', state }, headers: { cookie } });
    p.advance(120_000);
    // The grant was revoked at the provider while Ada was away; another command of the app needs her token.
    p.transport.answer(json({ error: 'invalid_grant' }, 400));
    await expect(p.app().tokens.getAccessToken('u-ada', 'acme')).rejects.toMatchObject({ kind: 'reconnect_required' });
    await expect(p.app().tokens.getAccessToken('u-ada', 'acme')).rejects.toMatchObject({ kind: 'reconnect_required' });
    expect(p.transport.requests.filter((r) => r.url === 'https://id.acme.test/token')).toHaveLength(2); // the code, one refresh: no retry loop
    expect(p.posted).toEqual([{ roomId: 'dm-u-ada', text: translator('de')('lost_notice', { provider: 'Acme' }), buttons: 1 }]);

    const [status] = await p.command('status');
    expect(textOf(status)).toContain(translator('en')('status_lost', { provider: 'Acme' }));
    const [token] = await p.command('token');
    expect(token.buttons).toHaveLength(1);
    const [revoke] = await p.command('revoke');
    expect(textOf(revoke)).toBe(translator('en')('revoke_already_ended', { provider: 'Acme' }));
    const [after] = await p.command('status');
    expect(textOf(after)).toContain(translator('en')('status_not_connected', { provider: 'Acme' }));
  });

  it('names the user on the page and behind its button from the link, reading no user; a link made without (by an earlier version) reads them', async () => {
    const p = platform();
    const [reply] = await p.command('connect', 'de');
    const link = new URL(reply.buttons![0].url).searchParams.get('link')!;
    const page = await showConnectPage(p.app(), { query: { link }, headers: {} });
    expect(page.body).toContain('Ada Lovelace (@ada)');
    expect(page.body).toContain('lang="de"');
    const cookie = page.headers['set-cookie'].split(';')[0];
    const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)![1];
    expect((await confirmConnect(p.app(), { query: { link }, headers: { cookie }, content: `confirm=${confirm}` })).status).toBe(303);
    expect(p.peopleRead).toEqual([]);

    const older = 'L'.repeat(43);
    await p.links.create(older, { userId: 'u-ada', providerId: 'acme', roomId: 'room-1', expiresAt: p.now() + 60_000 });
    const olderPage = await showConnectPage(p.app(), { query: { link: older }, headers: {} });
    expect(olderPage.body).toContain('Ada Lovelace (@ada)');
    expect(olderPage.body).toContain('lang="de"');
    expect(p.peopleRead).toEqual(['u-ada']);
  });

  it('answers a state an earlier version made (no language in it) in the user’s language, read from the platform', async () => {
    const p = platform();
    const secret = newBrowserSecret();
    const start = await p.app().connector.beginAuthorization('u-ada', 'acme', { context: { roomId: 'room-1' }, browserSecret: secret });
    p.transport.answer(json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, scope: 'read' }), json({ login: 'ada-at-acme' }));
    const state = new URL(start.url).searchParams.get('state')!;
    const page = await completeConnect(p.app(), { query: { code: 'the-code', state }, headers: { cookie: `${BROWSER_COOKIE}=${secret}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('lang="de"');
    expect(p.peopleRead).toEqual(['u-ada']);
  });

  it('lets one of two browsers pressing Continue at the same moment go on; the other is told the link is taken', async () => {
    const p = platform();
    const [reply] = await p.command('connect', 'de');
    const link = new URL(reply.buttons![0].url).searchParams.get('link')!;
    const press = async () => {
      const page = await showConnectPage(p.app(), { query: { link }, headers: {} });
      const cookie = page.headers['set-cookie'].split(';')[0];
      const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)![1];
      return { cookie, confirm };
    };
    const [one, two] = await Promise.all([press(), press()]);
    const answers = await Promise.all(
      [one, two].map(({ cookie, confirm }) => confirmConnect(p.app(), { query: { link }, headers: { cookie }, content: `confirm=${confirm}` })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([303, 403]);
    expect(answers.find((a) => a.status === 403)!.body).toContain(translator('de')('page_link_claimed'));
  });
});
