/**
 * Tokens sealed at rest, end to end on the real runtime (the packaged app on Apps-Engine 1.62.0,
 * oidc-provider over real HTTP with 2-second tokens and rotating refresh tokens): what the engine's
 * persistence holds, a key an admin rotates, and a key that is lost.
 */
import { watchNotice } from '../support/eventually';
import { isSealed, newSealingKey, parseSealingKey, sealedKeyId } from '../../src/core/sealing';
import type { AppsEngineHarness } from '../../tools/harness';
import type { StoredRecord } from '../../tools/harness/world';
import { AppBrowser } from '../support/app-browser';
import { APP_ID } from '../support/app-package';
import type { TestAuthServer } from '../support/auth-servers';
import { DEMO_CLIENT as CLIENT, demoProviderSettings, startDemoProvider } from '../support/demo-oidc';
import { connectLinkFor, runOAuth, startPackagedApp } from '../support/packaged-app';
import { openedTokens } from '../support/sealed-records';
import { authorizeAs } from '../support/user-agent';

const USER = { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] };
const ROOM = { id: 'r-alice', name: 'alice-room', members: [USER.id] };
const WHERE = { userId: USER.id, roomId: ROOM.id };

let harness: AppsEngineHarness;
let provider: TestAuthServer;
let completeUrl: string;

const oauth = (...args: string[]) => runOAuth(harness, WHERE, ...args);

function records(kind: string): StoredRecord[] {
  return harness.stored().filter((record) => record.associations.some((a) => a.id.startsWith(kind)));
}

function tokenRecord(): StoredRecord | undefined {
  return records('oauth-token:demo').find((record) => record.associations.some((a) => a.model === 'user' && a.id === USER.id));
}

/** The key id every sealed value of the token record is under. */
function keyIdsOfRecord(): string[] {
  const tokens = (tokenRecord()!.data as { tokens: Record<string, unknown> }).tokens;
  return [...new Set(Object.values(tokens).flatMap((value) => (typeof value === 'string' && isSealed(value) ? [sealedKeyId(value)!] : [])))];
}

async function currentKeyId(): Promise<string> {
  return parseSealingKey(String(await harness.getSetting(APP_ID, 'token_key'))).id;
}

async function connect(): Promise<void> {
  const browser = new AppBrowser();
  const callback = await authorizeAs(await browser.startConnect(await connectLinkFor(harness, WHERE)), { account: 'alice', redirectUriPrefix: completeUrl });
  const notice = watchNotice(harness, WHERE.userId);
  expect((await browser.fetch(callback)).status).toBe(200);
  await notice.arrived();
}

beforeAll(async () => {
  harness = await startPackagedApp({
    users: [USER],
    rooms: [ROOM],
    configure: async (_harness, redirect) => {
      completeUrl = redirect;
      provider = await startDemoProvider(redirect, { refreshPolicy: 'always', accessTokenTTL: 2, rotateRefreshToken: true });
      return demoProviderSettings(provider);
    },
  });
});

afterAll(async () => {
  await harness?.stop();
  await provider?.close();
});

afterEach(() => {
  expect(harness.appErrors(APP_ID)).toEqual([]);
});

describe('tokens sealed at rest on the real runtime', () => {
  it('keeps no token and no PKCE verifier in clear in the engine’s persistence', async () => {
    // A flow in progress: its pending authorization holds the verifier, sealed.
    const browser = new AppBrowser();
    const providerUrl = await browser.startConnect(await connectLinkFor(harness, WHERE));
    const [pending] = records('oauth-state:');
    const verifier = (pending.data as { record: { codeVerifier: string } }).record.codeVerifier;
    expect(isSealed(verifier)).toBe(true);
    const callback = await authorizeAs(providerUrl, { account: 'alice', redirectUriPrefix: completeUrl });
    const notice = watchNotice(harness, WHERE.userId);
    expect((await browser.fetch(callback)).status).toBe(200);
    await notice.arrived();

    const tokens = await openedTokens(harness, tokenRecord()!);
    const everything = JSON.stringify(harness.stored());
    for (const secret of [tokens.accessToken, tokens.refreshToken!]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(everything).not.toContain(secret);
    }
    expect(keyIdsOfRecord()).toEqual([await currentKeyId()]);
    // What status shows needs no key: account, scopes and expiry stay readable.
    expect((tokenRecord()!.data as { accountName: string }).accountName).toBe('alice');
    expect((await oauth('status')).text).toContain('Demo: connected as alice');
  });

  it('rotates: a new key seals from the next write on, the retired one still opens what it sealed', async () => {
    const oldKeyId = await currentKeyId();
    await harness.setSetting(APP_ID, 'token_key', newSealingKey());
    const newKeyId = await currentKeyId();
    expect(newKeyId).not.toBe(oldKeyId);
    // The replaced key was retired by the app itself, not lost.
    expect(
      String(await harness.getSetting(APP_ID, 'token_keys_retired'))
        .split(' ')
        .map((text) => parseSealingKey(text).id),
    ).toContain(oldKeyId);

    expect(keyIdsOfRecord()).toEqual([oldKeyId]);
    expect((await oauth('token')).text).toContain('token of alice');
    // The 2-second token has expired: whoami refreshes, and the refreshed record is sealed anew.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await oauth('whoami')).text).toContain('Demo says you are *alice*');
    expect(keyIdsOfRecord()).toEqual([newKeyId]);
  });

  it('refuses a malformed key and keeps the one in use', async () => {
    const before = await harness.getSetting(APP_ID, 'token_key');
    await harness.setSetting(APP_ID, 'token_key', 'correct horse battery staple');
    expect(await harness.getSetting(APP_ID, 'token_key')).toBe(before);
    expect((await oauth('whoami')).text).toContain('Demo says you are *alice*');
  });

  it('a lost key: the user is told once to connect again, with a button, never an error; connecting again works', async () => {
    const lostKeyId = await currentKeyId();
    // An admin replaces the key and then clears the retired keys: what the old key sealed is lost.
    await harness.setSetting(APP_ID, 'token_key', newSealingKey());
    await harness.setSetting(APP_ID, 'token_keys_retired', '');

    expect((await oauth('status')).text).toContain('saved connection cannot be read, connect again');
    const whoami = await oauth('whoami');
    expect(whoami.text).toContain('can no longer be read here');
    expect(whoami.buttons.map((b) => b.actionId)).toEqual(['oauth-connect']);
    await oauth('token');
    const warnings = harness
      .appLogs(APP_ID)
      .flatMap((record) => record.entries)
      .filter((entry) => entry.severity === 'warning')
      .map((entry) => JSON.stringify(entry.args))
      .filter((line) => line.includes('cannot be opened'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(lostKeyId);

    await connect();
    expect(keyIdsOfRecord()).toEqual([await currentKeyId()]);
    expect((await oauth('whoami')).text).toContain('Demo says you are *alice*');
  });

  it('a grant the provider revokes while the user is away: one direct message with a Connect button, status says it needs reconnecting', async () => {
    const tokens = await openedTokens(harness, tokenRecord()!);
    // The user (or an admin) ends the grant at the provider (RFC 7009): its refresh token dies with it.
    const revoked = await fetch(provider.endpoints.revocation, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.refreshToken!, token_type_hint: 'refresh_token' }).toString(),
    });
    expect(revoked.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));

    // The next use of the token, by whatever command: the refresh is refused for good.
    harness.clearMessages();
    const whoami = await oauth('whoami');
    expect(whoami.buttons.map((b) => b.actionId)).toEqual(['oauth-connect']);
    const direct = harness.messages().filter((m) => m.kind === 'room');
    expect(direct).toHaveLength(1);
    expect(direct[0].roomId).not.toBe(ROOM.id);
    expect(JSON.stringify(direct[0].blocks)).toContain('Your Demo connection has ended');
    expect(JSON.stringify(direct[0].blocks)).toContain('oauth-connect');
    // Every later call is answered, and nobody is told again.
    await oauth('whoami');
    await oauth('refresh');
    expect(harness.messages().filter((m) => m.kind === 'room')).toEqual([]);
    expect((await oauth('status')).text).toContain('Demo: needs reconnecting');
    // Kept without a token of any kind.
    const kept = tokenRecord()!.data as { lost?: { reason: string }; tokens: Record<string, unknown> };
    expect(kept.lost?.reason).toBe('grant_rejected');
    expect(kept.tokens.accessToken).toBe('');
    expect(kept.tokens.refreshToken).toBeUndefined();
  });
});
