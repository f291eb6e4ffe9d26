/**
 * What the app reads back from persistence on the real runtime (Apps-Engine 1.62.0, Deno): records
 * an earlier version wrote, records it cannot read, and what a connection remembers of the scopes the
 * provider did not grant. The provider is the strict GitHub emulator (test/emulators/github.ts).
 */
import { watchNotice } from '../support/eventually';
import type { AppsEngineHarness } from '../../tools/harness';
import { startGitHubEmulator } from '../emulators/github';
import type { ProviderEmulator } from '../emulators/kit';
import { APP_ID } from '../support/app-package';
import { connectLinkFor, routeTo, runOAuth, startPackagedApp } from '../support/packaged-app';
import { AppBrowser } from '../support/app-browser';
import { authorizeAs } from '../support/user-agent';
import { openedTokens } from '../support/sealed-records';

const USER = { id: 'u-ada', username: 'ada', name: 'Ada', roles: ['user'] };
const ROOM = { id: 'r-ada', name: 'ada-room', members: ['u-ada'] };
const CLIENT = { clientId: 'client-records', clientSecret: 'secret-records-value' };
const TOKEN_ASSOCIATIONS = [
  { model: 'user', id: USER.id },
  { model: 'misc', id: 'oauth-token:github' },
];

let harness: AppsEngineHarness;
let github: ProviderEmulator;
let completeUrl: string;

const WHERE = { userId: USER.id, roomId: ROOM.id };

async function oauth(...args: string[]): Promise<{ text: string; buttons: string[] }> {
  const reply = await runOAuth(harness, WHERE, ...args);
  return { text: reply.text, buttons: reply.buttons.map((b) => b.actionId) };
}

async function connect(): Promise<void> {
  const link = await connectLinkFor(harness, WHERE);
  const browser = new AppBrowser();
  const callback = await authorizeAs(await browser.startConnect(link), {
    account: 'alice',
    redirectUriPrefix: completeUrl,
    resolve: (url) => github.server.resolve(url),
  });
  const notice = watchNotice(harness, WHERE.userId);
  expect((await browser.fetch(callback)).status).toBe(200);
  await notice.arrived();
}

function tokenRecord() {
  return harness.stored().find((r) => TOKEN_ASSOCIATIONS.every((a) => r.associations.some((held) => held.model === a.model && held.id === a.id)));
}

function warnings(): string[] {
  return harness
    .appLogs(APP_ID)
    .flatMap((record) => record.entries)
    .filter((line) => line.severity === 'warning' || line.severity === 'warn')
    .map((line) => JSON.stringify(line.args));
}

describe('stored connections on the real runtime', () => {
  beforeAll(async () => {
    harness = await startPackagedApp({
      users: [USER],
      rooms: [ROOM],
      configure: async (h, redirectUri) => {
        completeUrl = redirectUri;
        github = await startGitHubEmulator({ client: { ...CLIENT, redirectUri } });
        routeTo(h, github);
        return { provider1_enabled: true, provider1_preset: 'github', provider1_client_id: CLIENT.clientId, provider1_client_secret: CLIENT.clientSecret };
      },
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await github?.close();
  });

  afterEach(() => {
    expect(harness.appErrors(APP_ID)).toEqual([]);
  });

  it('a connection 0.1.0 wrote on this runtime (no format number, null where GitHub sent nothing) still works', async () => {
    await connect();
    const tokens = await openedTokens(harness, tokenRecord()!);
    // Exactly what 0.1.0 stored after a GitHub connect: msgpack had turned its undefined members into null.
    harness.seedRecord(APP_ID, TOKEN_ASSOCIATIONS, {
      userId: USER.id,
      providerId: 'github',
      accountName: 'alice',
      connectedAt: tokens.obtainedAt,
      tokens: {
        accessToken: tokens.accessToken,
        tokenType: 'bearer',
        refreshToken: null,
        expiresAt: null,
        obtainedAt: tokens.obtainedAt,
        scopes: ['read:user'],
        idToken: null,
      },
    });
    expect((await oauth('status')).text).toContain('GitHub: connected as alice');
    expect((await oauth('whoami')).text).toContain('GitHub says you are *alice*');
  });

  it('a record this version cannot read: "connect again" with a button everywhere, one warning naming the reason and no value', async () => {
    await oauth('revoke');
    harness.seedRecord(APP_ID, TOKEN_ASSOCIATIONS, {
      format: 99,
      userId: USER.id,
      providerId: 'github',
      tokens: { accessToken: 'gho_from-the-future-secret' },
    });
    const status = await oauth('status');
    expect(status.text).toContain('GitHub: saved connection cannot be read, connect again');
    for (const command of ['whoami', 'token', 'refresh']) {
      const reply = await oauth(command);
      expect(reply.text).toContain('can no longer be read here');
      expect(reply.buttons).toEqual(['oauth-connect']);
    }
    const reported = warnings().filter((line) => line.includes('cannot be read'));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain('format 99 was written by a newer version');
    expect(JSON.stringify(harness.appLogs(APP_ID))).not.toContain('gho_from-the-future-secret');
    // Connecting again replaces it.
    await connect();
    expect((await oauth('status')).text).toContain('GitHub: connected as alice');
  });

  it('revoking a connection that cannot be read forgets it, and says it could not be revoked at the provider', async () => {
    await oauth('revoke');
    harness.seedRecord(APP_ID, TOKEN_ASSOCIATIONS, { format: 1, userId: USER.id, tokens: 'damaged' });
    expect((await oauth('revoke')).text).toContain('could not be read, so they were not revoked at GitHub');
    expect(tokenRecord()).toBeUndefined();
    expect((await oauth('status')).text).toContain('GitHub: not connected');
  });

  it('scopes granted narrower than asked are recorded and shown by token and status', async () => {
    // GitHub drops scopes it does not know and answers with what it granted.
    await harness.setSetting(APP_ID, 'provider1_scopes', 'read:user admin:everything');
    await connect();
    expect((tokenRecord()!.data as { tokens: { scopes: string[]; requestedScopes: string[] } }).tokens).toMatchObject({
      scopes: ['read:user'],
      requestedScopes: ['read:user', 'admin:everything'],
    });
    expect((await oauth('token')).text).toContain('asked for but not granted: admin:everything');
    expect((await oauth('status')).text).toContain('asked for but not granted: admin:everything');
  });
});
