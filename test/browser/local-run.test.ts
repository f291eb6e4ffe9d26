/**
 * Real-browser end-to-end tests of `npm start`: Debian's Chromium driven by playwright-core through
 * the chat page, the demo authorization server's own login and consent pages, and the app's
 * complete page. Every step leaves a screenshot in test-output/browser/.
 * Run with `npm run test:browser` (needs /usr/bin/chromium: `apt-get install -y chromium`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort, OUTPUT_DIR, startLocalRun, type LocalRun } from './local-run';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`Browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

// Without the networking flags Chromium floods the closed network with refused connections.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let run: LocalRun;
let browser: Browser;
let dataDir: string;
let ports: { port: number; providerPort: number };
let shot = 0;

async function screenshot(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: join(OUTPUT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function openChat(context: BrowserContext, user: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${run.url}/?user=${user}&room=general`);
  await page.locator('#command').waitFor();
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#command', text);
  await page.press('#command', 'Enter');
}

/** Waits for an app message containing `text` in the chat. */
async function reply(page: Page, text: string | RegExp) {
  const message = page.locator('.message.ephemeral').filter({ hasText: text }).last();
  await message.waitFor({ timeout: 15_000 });
  return message;
}

/** Says `command` and waits for an answer containing `text` that was not there before. */
async function answer(page: Page, command: string, text: string | RegExp) {
  const answers = page.locator('.message.ephemeral').filter({ hasText: text });
  const before = await answers.count();
  await say(page, command);
  await answers.nth(before).waitFor({ timeout: 15_000 });
  return answers.nth(before);
}

/** `/oauth connect`, the Connect button, then the app's confirmation page in the tab the button opens. */
async function openConfirmation(context: BrowserContext, chat: Page, name: string): Promise<Page> {
  // The chat may already show an older Connect button (of a link another browser has claimed): wait
  // for the answer to this command, not the first matching message.
  const prompts = chat.locator('.message.ephemeral').filter({ hasText: 'Connect your Demo account' });
  const before = await prompts.count();
  await say(chat, '/oauth connect');
  await prompts.nth(before).waitFor({ timeout: 15_000 });
  const button = prompts.nth(before).locator('a.button[data-action-id="oauth-connect"]');
  await screenshot(chat, `${name}-connect-button`);
  const [confirmation] = await Promise.all([context.waitForEvent('page'), button.click()]);
  await confirmation.locator('button[type="submit"]').waitFor();
  await screenshot(confirmation, `${name}-confirmation`);
  return confirmation;
}

/** The Connect button, the confirmation page's Continue, the demo login and the consent page. */
async function connect(context: BrowserContext, chat: Page, account: string, decision: 'approve' | 'deny', name: string): Promise<Page> {
  const provider = await openConfirmation(context, chat, name);
  await expectText(provider, `This connects the chat account`);
  await provider.click('button[type="submit"]');
  await signIn(provider, account, decision, name);
  return provider;
}

/** The demo provider's login and consent pages, up to the app's complete page. */
async function signIn(provider: Page, account: string, decision: 'approve' | 'deny', name: string): Promise<void> {
  await provider.locator('#login').waitFor();
  await provider.fill('#login', account);
  await provider.fill('#password', 'demo');
  await screenshot(provider, `${name}-provider-login`);
  await provider.click('#submit');
  await provider.locator('#consent').waitFor();
  await screenshot(provider, `${name}-provider-consent`);
  await provider.click(decision === 'approve' ? '#consent' : '#deny');
  await provider.locator('h1').waitFor();
  await screenshot(provider, `${name}-complete-page`);
}

(haveChromium ? describe : describe.skip)('npm start in a real browser', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oauth-local-'));
    ports = { port: await freePort(), providerPort: await freePort() };
    run = await startLocalRun({ ...ports, dataDir, logName: 'npm-start-1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await run?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let alice: { context: BrowserContext; chat: Page };
  let bob: { context: BrowserContext; chat: Page };

  it('connect and approve: the complete page says connected, and the chat confirms', async () => {
    const context = await browser.newContext();
    const chat = await openChat(context, 'alice');
    alice = { context, chat };
    const complete = await connect(context, chat, 'alice', 'approve', 'alice-approve');
    await expectText(complete, 'Connected');
    await reply(chat, 'You are now connected to demo as alice');
    await screenshot(chat, 'alice-connected-chat');
  });

  it('connect and deny: the complete page and the chat both say the user declined', async () => {
    // A context of its own: the provider's single sign-on would otherwise remember this login.
    const context = await browser.newContext();
    const chat = await openChat(context, 'bob');
    const complete = await connect(context, chat, 'bob', 'deny', 'bob-deny');
    await expectText(complete, 'You declined the connection to Demo');
    await reply(chat, 'You declined the connection to Demo');
    await say(chat, '/oauth status');
    await reply(chat, 'Demo: not connected');
    await screenshot(chat, 'bob-denied-chat');
    await context.close();
  });

  it('two users in separate contexts, each connected to their own demo account, each seeing only their own', async () => {
    const context = await browser.newContext();
    const chat = await openChat(context, 'bob');
    bob = { context, chat };
    await connect(context, chat, 'bob', 'approve', 'bob-approve');
    await reply(chat, 'You are now connected to demo as bob');

    await say(bob.chat, '/oauth whoami');
    await reply(bob.chat, 'Demo says you are bob');
    await say(alice.chat, '/oauth whoami');
    await reply(alice.chat, 'Demo says you are alice');
    await screenshot(alice.chat, 'alice-whoami');
    await screenshot(bob.chat, 'bob-whoami');
    expect(await alice.chat.locator('#messages').innerText()).not.toContain('as bob');
    expect(await bob.chat.locator('#messages').innerText()).not.toContain('as alice');
  });

  it('revoke, then whoami answers "not connected" with a Connect button', async () => {
    await say(alice.chat, '/oauth revoke');
    await reply(alice.chat, 'the provider revoked your tokens');
    await say(alice.chat, '/oauth whoami');
    const answer = await reply(alice.chat, 'You are not connected to demo yet');
    await expect(answer.locator('a.button[data-action-id="oauth-connect"]').count()).resolves.toBe(1);
    await screenshot(alice.chat, 'alice-revoked-whoami');
  });

  it('a flow that comes back to another browser (no flow cookie there) is refused, and its owner is told', async () => {
    const context = await browser.newContext();
    const chat = await openChat(context, 'ada');
    const confirmation = await openConfirmation(context, chat, 'ada-swap');
    await expectText(confirmation, '@ada');
    // Ada presses Continue but does not sign in; the provider URL it sent her to is opened elsewhere.
    const [redirect] = await Promise.all([
      context.waitForEvent('response', (response) => response.status() === 303 && new URL(response.url()).pathname.endsWith('/connect')),
      confirmation.click('button[type="submit"]'),
    ]);
    const providerUrl = (await redirect.headerValue('location'))!;
    const other = await browser.newContext();
    const elsewhere = await other.newPage();
    await elsewhere.goto(providerUrl);
    await signIn(elsewhere, 'carol', 'approve', 'ada-elsewhere');
    await expectText(elsewhere, 'came back to a different browser');
    await reply(chat, 'came back in another browser and was refused');
    await say(chat, '/oauth status');
    await reply(chat, 'Demo: not connected');
    await screenshot(chat, 'ada-refused-chat');
    await other.close();
    await context.close();
  });

  it('the Platform menu switches to Mattermost (a stand-in for a Mattermost server, which cannot run here): the same flow, through its button', async () => {
    const context = await browser.newContext();
    const chat = await context.newPage();
    await chat.goto(`${run.url}/?platform=mattermost`);
    await chat.locator('#command').waitFor();
    expect(await chat.locator('#platform').inputValue()).toBe('mattermost');
    await say(chat, '/oauth connect');
    const prompt = await reply(chat, 'Connect your Demo account');
    await screenshot(chat, 'mattermost-connect-button');
    // Mattermost has no link button: the click goes to the service, which answers with the user's link.
    await prompt.locator('button[data-action-id="oauthconnect"]').click();
    const link = await reply(chat, 'Open this link to go on');
    const [confirmation] = await Promise.all([context.waitForEvent('page'), link.locator('a').click()]);
    await expectText(confirmation, 'This connects the chat account');
    await screenshot(confirmation, 'mattermost-confirmation');
    await confirmation.click('button[type="submit"]');
    await signIn(confirmation, 'carol', 'approve', 'mattermost-carol');
    await expectText(confirmation, 'Connected');
    await reply(chat, /now connected to demo as carol/i);
    await say(chat, '/oauth whoami');
    await reply(chat, 'Demo says you are carol');
    await screenshot(chat, 'mattermost-connected-chat');
    // The Rocket.Chat side is another platform: its users' connections are their own.
    await chat.selectOption('#platform', 'rocketchat');
    await chat.locator('#messages').filter({ hasNotText: 'carol' }).waitFor();
    await context.close();
  });

  it('a restart of npm start keeps a connection, and the tab left open follows it without a reload', async () => {
    const status = bob.chat.locator('#status');
    await run.stop();
    // The stopped server is said, not silent.
    await status.filter({ hasText: 'The local chat server is not answering' }).waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(bob.chat, 'bob-server-stopped');
    run = await startLocalRun({ ...ports, dataDir, logName: 'npm-start-2' });
    await status.waitFor({ state: 'hidden', timeout: 10_000 });
    await bob.chat.getByText('npm start restarted').waitFor({ timeout: 10_000 });
    // The new run numbers its messages from 0 again: the page's cursor from before must not hide them.
    await answer(bob.chat, '/oauth status', 'Demo: connected as bob');
    await answer(bob.chat, '/oauth whoami', 'Demo says you are bob');
    await screenshot(bob.chat, 'bob-after-restart');
    // The Mattermost side keeps its connections too (its database in the data folder, its people the same).
    const context = await browser.newContext();
    const mattermost = await context.newPage();
    await mattermost.goto(`${run.url}/?platform=mattermost`);
    await mattermost.locator('#command').waitFor();
    await answer(mattermost, '/oauth status', 'Demo: connected as carol');
    await context.close();
  });

  it('printed no secret in the terminal: neither the demo client secret nor any token or code', async () => {
    const secret = (JSON.parse(readFileSync(join(dataDir, 'demo-client.json'), 'utf8')) as { clientSecret: string }).clientSecret;
    const stored = readFileSync(join(dataDir, 'app-storage.json'), 'utf8');
    const tokens = [...stored.matchAll(/"(?:accessToken|refreshToken|idToken|codeVerifier)"\s*:\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(tokens.length).toBeGreaterThan(0);
    // The data folder holds the connections sealed, as the app's persistence does on a server.
    expect(tokens.filter((value) => !value.startsWith('sealed:1:'))).toEqual([]);
    for (const name of ['npm-start-1.log', 'npm-start-2.log']) {
      const terminal = readFileSync(join(OUTPUT_DIR, name), 'utf8');
      expect(terminal).toContain('OAuth Connector is running');
      for (const value of [secret, ...tokens]) expect(terminal).not.toContain(value);
      expect(terminal).not.toMatch(/[?&](code|state)=[^&\s[]/);
    }
    // The data folder is never world-readable.
    expect(statSync(dataDir).mode & 0o077).toBe(0);
    expect(statSync(join(dataDir, 'app-storage.json')).mode & 0o077).toBe(0);
  });
});

async function expectText(page: Page, text: string): Promise<void> {
  await page.getByText(text).first().waitFor({ timeout: 10_000 });
}
