/**
 * The connect flow against hostile browsers and forwarded links, on the real runtime (the packaged
 * app on Apps-Engine 1.62.0, Deno) with oidc-provider over real HTTP. Each attack is refused, stores
 * nothing, and the page says what to do.
 */
import { eventually } from '../support/eventually';
import type { AppsEngineHarness } from '../../tools/harness';
import { AppBrowser } from '../support/app-browser';
import { APP_ID } from '../support/app-package';
import { connectLinkFor, startPackagedApp } from '../support/packaged-app';
import { startOidcProvider, type TestAuthServer } from '../support/auth-servers';
import { authorizeAs } from '../support/user-agent';

const USERS = {
  alice: { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] },
  bob: { id: 'u-bob', username: 'bob', name: 'Bob', roles: ['user'] },
};
const ROOMS = { alice: { id: 'r-alice', name: 'alice-room', members: ['u-alice'] }, bob: { id: 'r-bob', name: 'bob-room', members: ['u-bob'] } };
const CLIENT = { clientId: 'chat-app', clientSecret: 'chat-app-secret-value' };
type Who = keyof typeof USERS;

let harness: AppsEngineHarness;
let provider: TestAuthServer;
let completeUrl: string;

const connectLink = (who: Who) => connectLinkFor(harness, { userId: USERS[who].id, roomId: ROOMS[who].id });

const tokenRecords = (who: Who) =>
  harness
    .stored()
    .filter((r) => r.associations.some((a) => a.model === 'user' && a.id === USERS[who].id) && r.associations.some((a) => a.id === 'oauth-token:demo'));
const pendingStates = () => harness.stored().filter((r) => r.associations.some((a) => a.id === 'oauth-state'));
const noticesFor = (who: Who) =>
  harness
    .messages()
    .filter((m) => m.toUserId === USERS[who].id)
    .map((m) => JSON.stringify(m.blocks));

/** The page a browser lands on after the provider, and whether it says `text`. */
async function land(browser: AppBrowser | undefined, callback: URL) {
  harness.clearMessages();
  const seen = harness.messages().length;
  const response = browser ? await browser.fetch(callback) : await fetch(callback, { redirect: 'manual' });
  const html = await response.text();
  // A connection's notice follows its page (the account name is read from the provider after it).
  if (response.status === 200 && html.includes('Connected')) await eventually(() => harness.messages().length > seen, 'the notice after the callback');
  return { status: response.status, html };
}

describe('hostile browsers and forwarded links, on the real runtime against oidc-provider', () => {
  beforeAll(async () => {
    harness = await startPackagedApp({
      users: Object.values(USERS),
      rooms: Object.values(ROOMS),
      configure: async (_h, redirectUri) => {
        completeUrl = redirectUri;
        provider = await startOidcProvider({
          clients: [
            { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [redirectUri] },
          ],
        });
        return {
          allow_http_loopback: true,
          provider1_enabled: true,
          provider1_preset: 'oidc',
          provider1_id: 'demo',
          provider1_client_id: CLIENT.clientId,
          provider1_client_secret: CLIENT.clientSecret,
          provider1_site: provider.issuer,
        };
      },
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await provider?.close();
  });

  afterEach(() => {
    expect(harness.appErrors(APP_ID)).toEqual([]);
    expect(tokenRecords('bob')).toEqual([]);
  });

  it("session swap: Bob's provider URL opened in Alice's browser (signed in as Alice) binds nothing", async () => {
    const bob = new AppBrowser();
    const alice = new AppBrowser();
    const bobsProviderUrl = await bob.startConnect(await connectLink('bob'));
    const callback = await authorizeAs(bobsProviderUrl, { account: 'alice', redirectUriPrefix: completeUrl });
    const page = await land(alice, callback);
    expect(page.status).toBe(400);
    expect(page.html).toContain('came back to a different browser');
    expect(page.html).toContain('/oauth connect');
    // Bob hears of it in his room; the state is spent, so not even Bob's browser can use it now.
    expect(noticesFor('bob').join()).toContain('came back in another browser and was refused');
    expect((await land(bob, callback)).status).toBe(400);
  });

  it('a missing or a foreign browser cookie at the callback is refused the same way', async () => {
    for (const stranger of [undefined, new AppBrowser()]) {
      const bob = new AppBrowser();
      if (stranger) await stranger.open(await connectLink('alice')); // the stranger holds a cookie of its own
      const callback = await authorizeAs(await bob.startConnect(await connectLink('bob')), { account: 'bob', redirectUriPrefix: completeUrl });
      const page = await land(stranger, callback);
      expect(page.status).toBe(400);
      expect(page.html).toContain('came back to a different browser');
    }
  });

  it('a forwarded link: the page names whose chat account it connects; once pressed, it is refused in any other browser', async () => {
    const link = await connectLink('bob');
    const alice = new AppBrowser();
    const shown = await alice.open(link);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('Bob (@bob)');
    expect(shown.html).toContain('If someone sent you this link, close this page');
    const bob = new AppBrowser();
    await bob.startConnect(link);
    const states = pendingStates().length;
    const refused = await alice.open(link);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('already used in another browser');
    // Pressing the button of the page Alice saw earlier is refused too, and starts nothing.
    const pressed = await alice.submit(shown);
    expect(pressed.status).toBe(403);
    expect(pendingStates()).toHaveLength(states);
  });

  it("a link's older provider URL is dead once the link started a newer one, and all of them once the flow completed", async () => {
    const link = await connectLink('alice');
    const alice = new AppBrowser();
    const older = await alice.startConnect(link);
    const newer = await alice.startConnect(link);
    const olderCallback = await authorizeAs(older, { account: 'alice', redirectUriPrefix: completeUrl });
    const refused = await land(alice, olderCallback);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('no longer valid');
    expect(tokenRecords('alice')).toEqual([]);
    const done = await land(alice, await authorizeAs(newer, { account: 'alice', redirectUriPrefix: completeUrl }));
    expect(done.status).toBe(200);
    expect(tokenRecords('alice')).toHaveLength(1);
    // The link is spent: opening it again says so, and nothing of it is pending.
    expect((await alice.open(link)).status).toBe(400);
    const linkId = new URL(link).searchParams.get('link');
    expect(harness.stored().filter((r) => r.associations.some((a) => a.id === `oauth-state@link:${linkId}`))).toEqual([]);
  });

  it('a cross-site form posting to connect (no cookie) starts nothing', async () => {
    const link = await connectLink('bob');
    const page = await new AppBrowser().open(link);
    const states = pendingStates().length;
    const forged = await fetch(page.form!.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(page.form!.fields).toString(),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('press the Connect button again');
    expect(pendingStates()).toHaveLength(states);
  });

  it('provider answers that mean "try again" get 400 and say so; an iss with a trailing slash is refused', async () => {
    const bob = new AppBrowser();
    for (const error of ['login_required', 'consent_required', 'interaction_required', 'temporarily_unavailable']) {
      const state = new URL(await bob.startConnect(await connectLink('bob'))).searchParams.get('state')!;
      const page = await land(bob, new URL(`${completeUrl}?${new URLSearchParams({ state, error, iss: provider.issuer })}`));
      expect(page.status).toBe(400);
      expect(page.html).toContain('could not finish signing you in this time');
    }
    const state = new URL(await bob.startConnect(await connectLink('bob'))).searchParams.get('state')!;
    const page = await land(bob, new URL(`${completeUrl}?${new URLSearchParams({ state, code: 'x', iss: `${provider.issuer}/` })}`));
    expect(page.status).toBe(400);
  });

  it('every method gets a deliberate answer with the security headers: HEAD like GET, OPTIONS and 405 with Allow', async () => {
    const link = await connectLink('bob');
    for (const url of [link, completeUrl]) {
      const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
      expect([200, 400]).toContain(head.status);
      expect(await head.text()).toBe('');
      const options = await fetch(url, { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      for (const method of ['PUT', 'DELETE', 'PATCH', ...(url === completeUrl ? ['POST'] : [])]) {
        const response = await fetch(url, { method, redirect: 'manual' });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe(url === completeUrl ? 'GET, HEAD, OPTIONS' : 'GET, HEAD, POST, OPTIONS');
        expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(await response.text()).not.toMatch(/not exists|Error/);
      }
    }
  });
});
