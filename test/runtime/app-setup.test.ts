/**
 * The packaged app on the real Apps-Engine 1.62.0 server runtime (Deno subprocess), hosted by the
 * project's harness: install, settings, /oauth help and status in three languages, a bad provider
 * slot, the permission check, and a killed Deno subprocess.
 */
import { AppsEngineHarness, HARNESS_NODE_ENV } from '../../tools/harness';
import { APP_ID, packagedZip, untilAnswered, zipWithoutPermission } from '../support/app-package';

const USERS = {
  alice: { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] },
  bruno: { id: 'u-bruno', username: 'bruno', name: 'Bruno', roles: ['user'], language: 'de' },
  kenji: { id: 'u-kenji', username: 'kenji', name: 'Kenji', roles: ['user'], language: 'ja' },
  ada: { id: 'u-ada', username: 'ada', name: 'Ada Admin', roles: ['admin', 'user'] },
};
const ROOM = { id: 'r-general', name: 'general', members: Object.values(USERS).map((u) => u.id) };

const GITHUB_SLOT = { provider1_enabled: true, provider1_preset: 'github', provider1_client_id: 'gh-client', provider1_client_secret: 'gh-secret-value' };

let harness: AppsEngineHarness;

async function command(user: keyof typeof USERS, ...args: string[]): Promise<string> {
  harness.clearMessages();
  await harness.runCommand({ command: 'oauth', args, userId: USERS[user].id, roomId: ROOM.id });
  const replies = harness.messages().filter((m) => m.kind === 'ephemeral' && m.toUserId === USERS[user].id);
  expect(replies).toHaveLength(1);
  expect(replies[0].roomId).toBe(ROOM.id);
  return JSON.stringify(replies[0].blocks);
}

async function configure(values: Record<string, unknown>) {
  for (const [id, value] of Object.entries(values)) await harness.setSetting(APP_ID, id, value);
}

describe('the packaged app on the Apps-Engine 1.62.0 Deno runtime', () => {
  beforeAll(async () => {
    harness = await AppsEngineHarness.start({ language: 'en' });
    for (const user of Object.values(USERS)) harness.addUser(user);
    harness.addRoom(ROOM);
    await harness.installZip(packagedZip());
    await configure(GITHUB_SLOT);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  afterEach(() => {
    // Errors thrown in commands only reach the app's log: any error entry fails the test.
    expect(harness.appErrors(APP_ID)).toEqual([]);
  });

  it('runs with permission checks on (NODE_ENV is not test) and the app enabled', async () => {
    expect(process.env.NODE_ENV).toBe(HARNESS_NODE_ENV);
    expect(HARNESS_NODE_ENV).not.toBe('test');
    expect(harness.permissionChecksLive()).toBe(true);
    expect(await harness.appStatus(APP_ID)).toMatch(/enabled/);
  });

  it('reads back the settings an admin set, the secret included only on the server side', async () => {
    expect(await harness.getSetting(APP_ID, 'provider1_preset')).toBe('github');
    expect(await harness.getSetting(APP_ID, 'provider1_client_secret')).toBe('gh-secret-value');
    // What `npm start` masks in the runtime's log entries: the settings the engine knows as PASSWORD.
    expect(harness.passwordSettings(APP_ID)).toEqual(
      expect.arrayContaining([
        { id: 'provider1_client_secret', value: 'gh-secret-value' },
        { id: 'provider2_client_secret', value: '' },
        { id: 'provider3_client_secret', value: '' },
      ]),
    );
    // The token sealing keys are secrets too; the current one was generated when the app was enabled.
    expect(harness.passwordSettings(APP_ID).map((setting) => setting.id)).toEqual(
      expect.arrayContaining(['token_key', 'token_keys_retired', 'provider1_client_secret']),
    );
    expect(harness.passwordSettings(APP_ID).every((setting) => /_client_secret$|^token_key/.test(setting.id))).toBe(true);
    expect(await harness.getSetting(APP_ID, 'token_key')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers /oauth help with the subcommands and the enabled providers, ephemerally', async () => {
    const help = await command('alice', 'help');
    expect(help).toContain('/oauth connect github');
    expect(help).toContain('/oauth revoke github');
    expect(help).toContain('GitHub (`github`)');
    // Not an admin: no setup details.
    expect(help).not.toContain('redirect URI');
    expect(harness.messages().filter((m) => m.kind === 'room')).toEqual([]);
  });

  it('shows admins the exact redirect URI to register', async () => {
    const help = await command('ada', 'help');
    expect(help).toContain(`\`${harness.baseUrl}/api/apps/public/${APP_ID}/complete\``);
  });

  it("answers in the user's language", async () => {
    const help = await command('bruno', 'help');
    expect(help).toContain('/oauth connect github');
    expect(help).toContain('Verfügbare Anbieter');
    expect(await command('bruno', 'status')).toContain('nicht verbunden');
  });

  it('answers in Japanese intact: the bundle is UTF-8, and the runtime reads it so', async () => {
    expect(await command('kenji', 'help')).toContain('利用可能なプロバイダー');
    expect(await command('kenji', 'status')).toContain('GitHub: 未接続');
  });

  it("answers /oauth status with each provider and the user's connection state", async () => {
    const status = await command('alice', 'status');
    expect(status).toContain('GitHub: not connected');
  });

  it('gives help for an unknown subcommand, not an error', async () => {
    const reply = await command('alice', 'frobnicate');
    expect(reply).toContain('There is no `/oauth frobnicate`');
    expect(reply).toContain('/oauth connect github');
  });

  it('skips a bad slot, tells admins which setting is wrong, logs it, and keeps the other slots working', async () => {
    await configure({ provider2_enabled: true, provider2_preset: 'github', provider2_client_id: 'other', provider2_client_secret: 'x' });
    const adminHelp = await command('ada', 'help');
    expect(adminHelp).toContain('Provider 2 is skipped: setting \\"provider2_id\\": the name \\"github\\" is already used by provider 1');
    const logged = JSON.stringify(harness.appLogs(APP_ID));
    expect(logged).toContain('Provider slot 2 skipped: provider2_id');
    expect(await command('alice', 'status')).toContain('GitHub: not connected');

    await configure({ provider3_enabled: true, provider3_preset: 'redmine', provider3_client_id: 'r', provider3_client_secret: 's' });
    expect(await command('ada', 'help')).toContain('provider3_site');
    await configure({ provider2_enabled: false, provider3_enabled: false });
    expect(await command('ada', 'help')).not.toContain('is skipped');
  });

  it('tells admins in help when a slot points at a private address or plain http on loopback, naming the setting to fix', async () => {
    const slot3 = { provider3_enabled: true, provider3_preset: 'oidc', provider3_id: 'corp', provider3_client_id: 'c', provider3_client_secret: 's' };
    await configure({ ...slot3, provider3_site: 'https://10.1.2.3/realms/corp' });
    const adminHelp = await command('ada', 'help');
    expect(adminHelp).toContain(
      'Provider 3 is skipped: setting \\"outbound_allowed_hosts\\": provider3_site (issuer) goes to 10.1.2.3, a private address (10.0.0.0/8): the app calls it only if this setting names it',
    );
    expect(await command('alice', 'help')).not.toContain('10.1.2.3');
    expect(JSON.stringify(harness.appLogs(APP_ID))).toContain('Provider slot 3 skipped: outbound_allowed_hosts');

    // Named in the allow-list (as a range), the slot is served.
    await configure({ outbound_allowed_hosts: 'idp.example.com, 10.1.2.0/24' });
    const allowed = await command('ada', 'help');
    expect(allowed).not.toContain('is skipped');
    expect(allowed).toContain('Available providers: GitHub (`github`), Corp (`corp`)');

    await configure({ outbound_allowed_hosts: '', provider3_site: 'http://127.0.0.1:8080/realms/corp' });
    expect(await command('ada', 'help')).toContain(
      'Provider 3 is skipped: setting \\"allow_http_loopback\\": provider3_site (issuer) uses plain http on the loopback host 127.0.0.1',
    );
    await configure({ provider3_enabled: false, provider3_site: '' });
    expect(await command('ada', 'help')).not.toContain('is skipped');
  });

  it('tells users to ask an admin when no provider is configured', async () => {
    await configure({ provider1_enabled: false });
    expect(await command('alice', 'status')).toContain('No provider is configured yet');
    await configure({ provider1_enabled: true });
  });

  it('is answered again after its Deno subprocess is killed: the engine restarts it', async () => {
    const pid = harness.denoProcessId(APP_ID);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    // The engine restarts it; a command sent before Node has seen the exit would wait for a timeout.
    await harness.waitForRuntimeReady(APP_ID, { replacing: pid! });
    const answered = await untilAnswered(
      () => (harness.clearMessages(), harness.runCommand({ command: 'oauth', args: ['status'], userId: USERS.alice.id, roomId: ROOM.id })),
      () => harness.messages().some((m) => m.toUserId === USERS.alice.id),
    );
    expect(answered).toBe(true);
    expect(harness.denoProcessId(APP_ID)).not.toBe(pid);
  });
});

describe('the permission check, live', () => {
  it('refuses what app.json does not declare: without `persistence`, /oauth status cannot read connections', async () => {
    const variant = await AppsEngineHarness.start();
    try {
      variant.addUser(USERS.alice);
      variant.addRoom(ROOM);
      await variant.installZip(zipWithoutPermission('persistence'));
      for (const [id, value] of Object.entries(GITHUB_SLOT)) await variant.setSetting(APP_ID, id, value);
      // The engine refuses the read (and says why on the server's console), the command fails
      // visibly, and the user gets no status.
      const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        await expect(variant.runCommand({ command: 'oauth', args: ['status'], userId: USERS.alice.id, roomId: ROOM.id })).rejects.toThrow();
        expect(consoleError.mock.calls.map((call) => String(call[0]))).toContainEqual(
          expect.stringMatching(/lacks the following permissions[\s\S]*persistence/),
        );
      } finally {
        consoleError.mockRestore();
      }
      expect(variant.messages().some((m) => m.toUserId === USERS.alice.id)).toBe(false);
    } finally {
      await variant.stop();
    }
  });
});
