/**
 * Every preset, end to end on the real runtime: the zip `npm run package` writes, on Apps-Engine
 * 1.62.0 (Deno), against a server that answers the way that provider documents. Live providers are
 * not reachable from the test machines, so each preset runs against a strict emulator written from
 * its provider's documentation (test/emulators/, each behaviour citing its page), the OpenID Connect
 * preset against oidc-provider, and Custom OAuth 2.0 against @node-oauth/oauth2-server. The harness
 * routes the preset's real origins (https://github.com, …) to the emulator, so presets keep their
 * real URLs.
 *
 * Each row walks the same journey: connect and approve → token → whoami → refresh → refresh again
 * (the rotated token is never sent again) → expiry → revoke → status, and the run prints which steps
 * each row passed.
 */
import { watchNotice } from '../support/eventually';
import { AppsEngineHarness } from '../../tools/harness';
import { fillPreset, findPreset } from '../../src/core/providers';
import { startAsanaEmulator } from '../emulators/asana';
import { startAtlassianEmulator } from '../emulators/atlassian';
import { startChatworkEmulator } from '../emulators/chatwork';
import { startDropboxEmulator } from '../emulators/dropbox';
import { GITHUB_DOCS, startGitHubEmulator } from '../emulators/github';
import { startGitLabEmulator } from '../emulators/gitlab';
import { startGoogleEmulator } from '../emulators/google';
import type { ProviderEmulator, RegisteredClient } from '../emulators/kit';
import { startMicrosoftEmulator } from '../emulators/microsoft';
import { startPlainOAuth2Emulator } from '../emulators/plain-oauth2';
import { startRedmineEmulator } from '../emulators/redmine';
import { startSlackEmulator } from '../emulators/slack';
import { APP_ID, packagedZip } from '../support/app-package';
import { startNodeOAuth2Server, startOidcProvider, type TestAuthServer } from '../support/auth-servers';
import { AppBrowser } from '../support/app-browser';
import { authorizeAs } from '../support/user-agent';
import { openedTokens } from '../support/sealed-records';

/** Lifetime of access tokens that expire, in seconds: short, so the expiry step runs for real. */
const TTL_S = 4;
const USER = { id: 'u-alice', username: 'alice', name: 'Alice', roles: ['user'] };
const ROOM = { id: 'r-alice', name: 'alice-room', members: ['u-alice'] };
const SLOT_SETTINGS = ['enabled', 'preset', 'id', 'client_id', 'client_secret', 'site', 'scopes', 'advanced'];

/** What the journey needs of a provider, whether emulated or a real server. */
interface JourneyProvider {
  settings: Record<string, string>;
  behaviour: { refreshes: boolean; expires: boolean; revocation: boolean };
  /** Listens on http://127.0.0.1 (not routed by the harness): needs the endpoint policy's development switch. */
  httpLoopback?: boolean;
  routes: Array<{ origin: string; target: string }>;
  resolve(url: URL): URL;
  isAlive(token: string): Promise<boolean>;
  refreshTokensSent(): Promise<string[]>;
  /** Makes the provider refuse the access token (for tokens that never expire by the clock). */
  expireAccessToken?(token: string): void;
  /** The last requests the provider answered, for a failure's message (method, path, status). */
  seen(): string[];
  close(): Promise<void>;
}

interface Row {
  /** The row's name in the printed table. */
  name: string;
  preset: string;
  /** What users type; also the provider id of the records. */
  id: string;
  /** The account name the provider reports for alice, at the preset's path. */
  account: string;
  /** The documentation the row follows. */
  docs: string;
  start(client: RegisteredClient): Promise<JourneyProvider>;
}

function fromEmulator(emulator: ProviderEmulator): JourneyProvider {
  return {
    settings: emulator.settings,
    behaviour: emulator.behaviour,
    routes: emulator.server.origins(),
    resolve: (url) => emulator.server.resolve(url),
    isAlive: async (token) => emulator.isAlive(token),
    refreshTokensSent: async () => emulator.tokenCalls.filter((call) => call.grantType === 'refresh_token').map((call) => call.refreshToken ?? ''),
    expireAccessToken: (token) => emulator.expireAccessToken(token),
    seen: () => emulator.server.seen.slice(-6).map((r) => `${r.method} ${r.host}${r.path} -> ${r.status}`),
    close: () => emulator.close(),
  };
}

function fromAuthServer(
  server: TestAuthServer,
  client: RegisteredClient,
  authMethod: string,
  rest: Pick<JourneyProvider, 'settings' | 'behaviour'>,
): JourneyProvider {
  return {
    ...rest,
    httpLoopback: true,
    routes: [],
    resolve: (url) => url,
    isAlive: async (token) => (await server.introspect(token, { clientId: client.clientId, clientSecret: client.clientSecret, authMethod })).active,
    refreshTokensSent: async () =>
      (await server.tokenRequests()).filter((r) => r.route === 'token' && r.grantType === 'refresh_token').map((r) => r.refreshToken ?? ''),
    seen: () => [],
    close: () => server.close(),
  };
}

const docsOf = (preset: string) => findPreset(preset)!.docs;

const ROWS: Row[] = [
  {
    name: 'Google',
    preset: 'google',
    id: 'google',
    account: 'alice@example.test',
    docs: docsOf('google'),
    start: async (client) => fromEmulator(await startGoogleEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'GitHub OAuth app (no refresh token, no expiry, no id_token)',
    preset: 'github',
    id: 'github',
    account: 'alice',
    docs: GITHUB_DOCS[0],
    start: async (client) => fromEmulator(await startGitHubEmulator({ client })),
  },
  {
    name: 'GitHub App, expiring user tokens',
    preset: 'github',
    id: 'github-app',
    account: 'alice',
    docs: GITHUB_DOCS[1],
    start: async (client) => fromEmulator(await startGitHubEmulator({ client, variant: 'expiring-user-tokens', accessTtlS: TTL_S })),
  },
  {
    name: 'GitLab (self-managed)',
    preset: 'gitlab',
    id: 'gitlab',
    account: 'alice',
    docs: docsOf('gitlab'),
    start: async (client) => fromEmulator(await startGitLabEmulator({ client, accessTtlS: TTL_S, site: 'https://gitlab.example.com' })),
  },
  {
    name: 'Microsoft Entra ID',
    preset: 'microsoft',
    id: 'microsoft',
    account: 'alice@contoso.onmicrosoft.com',
    docs: docsOf('microsoft'),
    start: async (client) => fromEmulator(await startMicrosoftEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'Chatwork',
    preset: 'chatwork',
    id: 'chatwork',
    account: 'Alice Example',
    docs: docsOf('chatwork'),
    start: async (client) => fromEmulator(await startChatworkEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'Redmine / Planio',
    preset: 'redmine',
    id: 'redmine',
    account: 'alice',
    docs: docsOf('redmine'),
    start: async (client) => fromEmulator(await startRedmineEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'Asana',
    preset: 'asana',
    id: 'asana',
    account: 'Alice Example',
    docs: docsOf('asana'),
    start: async (client) => fromEmulator(await startAsanaEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'Dropbox',
    preset: 'dropbox',
    id: 'dropbox',
    account: 'Alice Example',
    docs: docsOf('dropbox'),
    start: async (client) => fromEmulator(await startDropboxEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'Slack, token rotation on',
    preset: 'slack',
    id: 'slack',
    account: 'alice',
    docs: docsOf('slack'),
    start: async (client) => fromEmulator(await startSlackEmulator({ client, rotation: true, accessTtlS: TTL_S })),
  },
  {
    name: 'Slack, token rotation off (no refresh token, no expiry)',
    preset: 'slack',
    id: 'slack-plain',
    account: 'alice',
    docs: docsOf('slack'),
    start: async (client) => fromEmulator(await startSlackEmulator({ client, rotation: false })),
  },
  {
    name: 'Atlassian',
    preset: 'atlassian',
    id: 'atlassian',
    account: 'alice@example.test',
    docs: docsOf('atlassian'),
    start: async (client) => fromEmulator(await startAtlassianEmulator({ client, accessTtlS: TTL_S })),
  },
  {
    name: 'OpenID Connect: oidc-provider, default refresh policy (offline_access + consent)',
    preset: 'oidc',
    id: 'oidc',
    account: 'alice',
    docs: 'https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess',
    start: async (client) => {
      const server = await startOidcProvider({
        refreshPolicy: 'openid-default',
        accessTokenTTL: TTL_S,
        clients: [
          {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            token_endpoint_auth_method: 'client_secret_basic',
            redirect_uris: [client.redirectUri],
            rotateRefreshToken: true,
          },
        ],
      });
      return fromAuthServer(server, client, 'client_secret_basic', {
        settings: { site: server.issuer },
        behaviour: { refreshes: true, expires: true, revocation: true },
      });
    },
  },
  {
    name: 'No refresh token: oidc-provider, scopes without offline_access',
    preset: 'oidc',
    id: 'oidc-online',
    account: 'alice',
    docs: 'https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess',
    start: async (client) => {
      const server = await startOidcProvider({
        refreshPolicy: 'openid-default',
        accessTokenTTL: TTL_S,
        clients: [
          {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            token_endpoint_auth_method: 'client_secret_basic',
            redirect_uris: [client.redirectUri],
          },
        ],
      });
      return fromAuthServer(server, client, 'client_secret_basic', {
        settings: { site: server.issuer, scopes: 'openid profile email' },
        behaviour: { refreshes: false, expires: true, revocation: true },
      });
    },
  },
  {
    name: 'No expires_in: Custom OAuth 2.0, a plain RFC 6749 server',
    preset: 'custom',
    id: 'example',
    account: 'alice',
    docs: 'https://www.rfc-editor.org/rfc/rfc6749#section-5.1',
    start: async (client) => fromEmulator(await startPlainOAuth2Emulator({ client })),
  },
  {
    name: 'No id_token: Custom OAuth 2.0 on @node-oauth/oauth2-server',
    preset: 'custom',
    id: 'node-oauth',
    account: 'alice',
    docs: 'https://www.rfc-editor.org/rfc/rfc6749',
    start: async (client) => {
      const server = await startNodeOAuth2Server({
        accessTokenLifetime: TTL_S,
        clients: [{ clientId: client.clientId, clientSecret: client.clientSecret, authMethod: 'client_secret_post', redirectUris: [client.redirectUri] }],
      });
      const advanced = { clientAuth: 'client_secret_post', endpoints: server.endpoints, displayName: 'Node OAuth' };
      return fromAuthServer(server, client, 'client_secret_post', {
        settings: { advanced: JSON.stringify(advanced), scopes: 'read' },
        behaviour: { refreshes: true, expires: true, revocation: true },
      });
    },
  },
];

const STEPS = ['connect', 'token', 'whoami', 'refresh', 'refresh again', 'expiry', 'revoke', 'status'] as const;
type Step = (typeof STEPS)[number];
type Outcome = 'passed' | 'n/a' | 'failed' | 'not reached';
const results = new Map<string, Map<Step, Outcome>>();

let harness: AppsEngineHarness;
let completeUrl: string;

interface Reply {
  text: string;
  buttons: Array<{ actionId: string; url: string }>;
}

async function oauth(...args: string[]): Promise<Reply> {
  harness.clearMessages();
  await harness.runCommand({ command: 'oauth', args, userId: USER.id, roomId: ROOM.id });
  const replies = harness.messages().filter((m) => m.kind === 'ephemeral' && m.toUserId === USER.id);
  expect(replies).toHaveLength(1);
  const blocks = (replies[0].blocks ?? []) as Array<{ type: string; elements?: Array<{ type: string; actionId: string; url: string }> }>;
  return {
    text: JSON.stringify(blocks),
    buttons: blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .filter((e) => e.type === 'button'),
  };
}

interface StoredTokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
  scopes: string[];
}

function storedRecord(id: string) {
  return harness
    .stored()
    .find((r) => r.associations.some((a) => a.model === 'user' && a.id === USER.id) && r.associations.some((a) => a.id === `oauth-token:${id}`));
}

/** The tokens as the app stored them (sealed in the record; opened with the app's key). */
async function storedTokens(id: string): Promise<StoredTokens | undefined> {
  const record = storedRecord(id);
  return record && ((await openedTokens(harness, record)) as StoredTokens);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Configures slot 1 for the row, everything else of the slot cleared. */
async function configure(row: Row, provider: JourneyProvider, client: RegisteredClient): Promise<void> {
  const values: Record<string, unknown> = {
    enabled: true,
    preset: row.preset,
    id: row.id,
    client_id: client.clientId,
    client_secret: client.clientSecret,
    site: '',
    scopes: '',
    advanced: '',
    ...provider.settings,
  };
  await harness.setSetting(APP_ID, 'allow_http_loopback', provider.httpLoopback === true);
  for (const field of SLOT_SETTINGS) await harness.setSetting(APP_ID, `provider1_${field}`, values[field]);
  for (const { origin, target } of provider.routes) harness.routeOrigin(origin, target);
}

describe('every preset on the real runtime, against a server that answers as its provider documents', () => {
  beforeAll(async () => {
    harness = await AppsEngineHarness.start();
    completeUrl = harness.publicUrl(APP_ID, 'complete');
    harness.addUser(USER);
    harness.addRoom(ROOM);
    await harness.installZip(packagedZip());
  });

  afterAll(async () => {
    await harness?.stop();
    printTable();
  });

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const outcomes = new Map<Step, Outcome>(STEPS.map((step) => [step, 'not reached']));
    results.set(row.name, outcomes);
    const client: RegisteredClient = { clientId: `client-${row.id}`, clientSecret: `secret-${row.id}-value`, redirectUri: completeUrl };
    const provider = await row.start(client);
    const seenSecrets = new Set<string>([client.clientSecret]);
    const remember = async () => {
      const tokens = await storedTokens(row.id);
      if (tokens?.accessToken) seenSecrets.add(tokens.accessToken);
      if (tokens?.refreshToken) seenSecrets.add(tokens.refreshToken);
    };
    const run = async (step: Step, body: () => Promise<Outcome | void>) => {
      try {
        outcomes.set(step, (await body()) ?? 'passed');
        await remember();
      } catch (error) {
        outcomes.set(step, 'failed');
        const seen = provider.seen();
        throw new Error(
          `${row.name}: step "${step}" failed: ${error instanceof Error ? error.message : String(error)}${seen.length ? `\nlast requests at the provider:\n  ${seen.join('\n  ')}` : ''}`,
        );
      }
    };
    try {
      await configure(row, provider, client);
      const { refreshes, expires, revocation } = provider.behaviour;

      await run('connect', async () => {
        const button = (await oauth('connect')).buttons.find((b) => b.actionId === 'oauth-connect');
        expect(button).toBeDefined();
        const browser = new AppBrowser();
        const callback = await authorizeAs(await browser.startConnect(button!.url), {
          account: 'alice',
          redirectUriPrefix: completeUrl,
          resolve: (url) => provider.resolve(url),
        });
        harness.clearMessages();
        const noticeWatch = watchNotice(harness, USER.id);
        const page = await browser.fetch(callback);
        expect(await page.text()).toContain('Connected');
        expect(page.status).toBe(200);
        await noticeWatch.arrived();
        const notice = harness
          .messages()
          .map((m) => JSON.stringify(m.blocks))
          .join('\n');
        expect(notice).toContain(`connected to`);
        expect(notice).toContain(` as ${row.account}`);
        // What the provider left out is absent from the record, not null (the Deno runtime's msgpack).
        expect(JSON.stringify(storedRecord(row.id)?.data)).not.toContain('null');
        expect(Boolean((await storedTokens(row.id))?.refreshToken)).toBe(refreshes);
        expect((await storedTokens(row.id))?.expiresAt !== undefined).toBe(expires);
      });

      await run('token', async () => {
        const stored = (await storedTokens(row.id))!;
        const { text } = await oauth('token');
        expect(text).toContain(`…${stored.accessToken.slice(-4)}`);
        expect(text).toContain(`(${stored.accessToken.length} characters)`);
        expect(text).not.toContain(stored.accessToken);
        // Every scope asked for was granted, however the provider names it in its answer.
        expect(text).not.toContain('not granted');
      });

      await run('whoami', async () => {
        expect((await oauth('whoami')).text).toContain(`says you are *${row.account}*`);
      });

      let firstRefreshToken: string | undefined;
      await run('refresh', async () => {
        const before = (await storedTokens(row.id))!;
        const sentBefore = (await provider.refreshTokensSent()).length;
        const reply = await oauth('refresh');
        if (!refreshes) {
          expect(reply.text).toContain('cannot be renewed');
          expect((await storedTokens(row.id))!.accessToken).toBe(before.accessToken);
          return 'n/a';
        }
        expect(reply.text).toContain('renewed');
        const after = (await storedTokens(row.id))!;
        expect(after.accessToken).not.toBe(before.accessToken);
        expect((await provider.refreshTokensSent()).slice(sentBefore)).toEqual([before.refreshToken]);
        expect(await provider.isAlive(after.accessToken)).toBe(true);
        firstRefreshToken = after.refreshToken;
      });

      await run('refresh again', async () => {
        if (!refreshes) return 'n/a';
        const sentBefore = (await provider.refreshTokensSent()).length;
        expect((await oauth('refresh')).text).toContain('renewed');
        // The token the first refresh answered with (rotated or kept), never one spent before it.
        expect((await provider.refreshTokensSent()).slice(sentBefore)).toEqual([firstRefreshToken]);
        expect(await provider.isAlive((await storedTokens(row.id))!.accessToken)).toBe(true);
      });

      await run('expiry', async () => {
        const before = (await storedTokens(row.id))!;
        const sentBefore = (await provider.refreshTokensSent()).length;
        if (expires) await sleep(Math.max(0, before.expiresAt! - Date.now()) + 100);
        else provider.expireAccessToken!(before.accessToken);
        const whoami = await oauth('whoami');
        if (refreshes) {
          expect(whoami.text).toContain(`says you are *${row.account}*`);
          expect((await provider.refreshTokensSent()).slice(sentBefore)).toHaveLength(1);
          expect((await storedTokens(row.id))!.accessToken).not.toBe(before.accessToken);
        } else {
          expect(whoami.text).toContain(expires ? 'expired, and' : 'no longer valid');
          expect(whoami.buttons.map((b) => b.actionId)).toEqual(['oauth-connect']);
          expect((await provider.refreshTokensSent()).slice(sentBefore)).toEqual([]);
          if (!expires) {
            // Refused with nothing to renew it: the provider ended the grant. Kept as lost, and told
            // once, in a message kept in the user's direct room with the app, whatever runs next.
            const direct = harness.messages().filter((m) => m.kind === 'room');
            expect(direct).toHaveLength(1);
            expect(direct[0].roomId).not.toBe(ROOM.id);
            expect(JSON.stringify(direct[0].blocks)).toContain('connection has ended');
            expect(JSON.stringify(direct[0].blocks)).toContain('oauth-connect');
            expect((await oauth('whoami')).buttons.map((b) => b.actionId)).toEqual(['oauth-connect']);
            expect(harness.messages().filter((m) => m.kind === 'room')).toEqual([]);
            expect((await oauth('status')).text).toContain('needs reconnecting');
          }
        }
      });

      await run('revoke', async () => {
        const tokens = (await storedTokens(row.id))!;
        const { text } = await oauth('revoke');
        expect(storedRecord(row.id)).toBeUndefined();
        if (!refreshes && !expires) {
          // The provider already ended it (the expiry step): nothing left to revoke there.
          expect(text).toContain('had already ended the connection');
          return 'passed';
        }
        if (!revocation) {
          expect(text).toContain('no way to revoke');
          const page = fillPreset(findPreset(row.preset)!, { id: row.id }).appAccessPage;
          if (page) expect(text).toContain(page);
          return 'passed';
        }
        expect(text).toContain('the provider revoked your tokens');
        expect(await provider.isAlive(tokens.accessToken)).toBe(false);
        if (tokens.refreshToken) expect(await provider.isAlive(tokens.refreshToken)).toBe(false);
      });

      await run('status', async () => {
        expect((await oauth('status')).text).toContain('not connected');
      });

      expect(harness.appErrors(APP_ID)).toEqual([]);
      const said = JSON.stringify(harness.messages()) + JSON.stringify(harness.appLogs(APP_ID));
      for (const secret of seenSecrets) expect(said).not.toContain(secret);
    } finally {
      for (const { origin } of provider.routes) harness.routeOrigin(origin);
      await provider.close();
    }
  });
});

function printTable(): void {
  const mark: Record<Outcome, string> = { passed: 'pass', 'n/a': 'n/a', failed: 'FAIL', 'not reached': '-' };
  const nameWidth = Math.max(...ROWS.map((row) => row.name.length));
  const lines = [
    `Preset journeys on Apps-Engine 1.62.0 (Deno), ${new Date().toISOString()}`,
    `${'row'.padEnd(nameWidth)}  ${STEPS.map((s) => s.padEnd(15)).join('')}documentation`,
    ...ROWS.map((row) => {
      const outcomes = results.get(row.name);
      const cells = STEPS.map((step) => (outcomes ? mark[outcomes.get(step) ?? 'not reached'] : '-').padEnd(15)).join('');
      return `${row.name.padEnd(nameWidth)}  ${cells}${row.docs}`;
    }),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}
