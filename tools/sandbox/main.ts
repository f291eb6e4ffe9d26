/**
 * `npm start`: the app running locally on the real Apps-Engine runtime, with a demo authorization
 * server and a chat page, so the whole flow can be tried without a Rocket.Chat server.
 * Every step that fails says what failed and the process exits non-zero.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redactStructured, redactText } from '../../src/core/redact';
import { AppsEngineHarness, type LogRecord, type RoomFixture, type UserFixture } from '../harness';
import { newSealingKey } from '../../src/core/sealing';
import { createChatServer, listen, MATTERMOST_SERVICE_PATH, type ChatWorld } from './chat-server';
import { MattermostChat } from './mattermost-chat';
import { startMattermostWorld } from './mattermost-world';
import { startDemoProvider } from './demo-provider';
import { openHostWarning, parseOptions, USAGE, UsageError, type LocalOptions } from './options';

const USERS: UserFixture[] = [
  { id: 'alice', username: 'alice', name: 'Alice', roles: ['user'] },
  { id: 'bob', username: 'bob', name: 'Bob', roles: ['user'] },
  { id: 'ada', username: 'ada', name: 'Ada (admin)', roles: ['admin', 'user'] },
];
const ROOMS: RoomFixture[] = [
  { id: 'general', name: 'general', members: ['alice', 'bob', 'ada'] },
  { id: 'random', name: 'random', members: ['alice', 'bob'] },
];
const DEMO_CLIENT_ID = 'oauth-connector-demo';
/** How long stopping may take before the app's runtime is killed outright. */
const STOP_DEADLINE_MS = 15_000;

export async function main(argv: string[], env: NodeJS.ProcessEnv, projectDir: string, out = console): Promise<number> {
  let options: LocalOptions;
  try {
    const parsed = parseOptions(argv, env, process.cwd());
    if (parsed === 'help') {
      out.log(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`npm start: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  const hostWarning = openHostWarning(options.host);
  if (hostWarning) out.error(hostWarning);

  // SIGINT (Ctrl+C; under npm it comes twice, from the terminal and from npm) or SIGTERM, at any
  // point: the step under way finishes (the package build is cut short), nothing more starts, and
  // everything started is stopped, the app's Deno subprocess included, before main returns.
  let signalled = false;
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
  const building = new AbortController();
  const onSignal = () => {
    signalled = true;
    building.abort();
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let runtimePids = (): number[] => [];
  const stoppers: Array<() => Promise<unknown>> = [];
  /** Stops what was started, last first; false when that took too long and the runtime was killed. */
  const stopAll = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const stopped = (async () => {
      for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
      return true;
    })();
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_DEADLINE_MS)));
    const inTime = await Promise.race([stopped, late]);
    clearTimeout(timer);
    if (!inTime) {
      for (const pid of runtimePids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      out.error(`npm start: stopping took over ${STOP_DEADLINE_MS / 1000} s: the app's runtime was killed.`);
    }
    return inTime;
  };
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    if (signalled) throw new Stopped();
    try {
      return await run();
    } catch (error) {
      if (signalled) throw new Stopped();
      throw new StartError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  try {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const zipPath = await step('Building the app package (npm run package)', () => buildPackage(projectDir, building.signal));
    const manifest = JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8')) as { id: string; name: string; version: string };

    // The page's port first: a port in use is the most common failure, and should come fast.
    const world: ChatWorld = { users: USERS, rooms: ROOMS };
    // The engine's definitions of the app's password settings, asked for at each entry: the harness
    // exists only once started, and the app's definitions only once installed.
    const passwordSettings = (appId: string) => world.harness?.passwordSettings(appId) ?? [];
    world.onCommandError = (message) => out.error(`[app] ${redactText(message, knownSecrets(passwordSettings(manifest.id)))}`);
    const server = createChatServer(world, join(projectDir, 'tools', 'sandbox', 'chat-page'));
    const port = await step('Starting the chat page', () => listen(server, options.port, options.host));
    stoppers.push(() => new Promise((resolve) => server.close(resolve)));
    const publicUrl = options.publicUrl || `http://${options.host}:${port}`;
    const redirectUri = `${publicUrl}/api/apps/public/${manifest.id}/complete`;
    // The Mattermost service sits behind the same address, under its own path.
    const mattermostBase = `${publicUrl}${MATTERMOST_SERVICE_PATH}`;
    const mattermostRedirectUri = `${mattermostBase}/complete`;

    // The demo provider's port next, for the same reason; the app is configured for it once installed.
    let settings: Record<string, unknown>;
    if (options.realProvider) {
      settings = options.realProvider;
    } else {
      const secret = persistedSecret(options.dataDir, 'demo-client.json');
      const provider = await step(`Starting the demo authorization server on port ${options.providerPort}`, () =>
        startDemoProvider({
          port: options.providerPort,
          host: options.host,
          dataDir: options.dataDir ? join(options.dataDir, 'demo-provider') : undefined,
          clients: [{ clientId: DEMO_CLIENT_ID, clientSecret: secret, redirectUris: [redirectUri, mattermostRedirectUri] }],
          accessTokenTtlSeconds: options.tokenTtlSeconds,
        }),
      );
      stoppers.push(() => provider.close());
      world.demoAccounts = provider.accounts;
      settings = {
        provider1_enabled: true,
        provider1_preset: 'oidc',
        provider1_id: 'demo',
        provider1_client_id: DEMO_CLIENT_ID,
        provider1_client_secret: secret,
        provider1_site: provider.issuer,
        allow_http_loopback: true,
      };
      out.log(`Demo authorization server: ${provider.issuer} (accounts ${provider.accounts.map((a) => a.id).join(', ')}, password "demo")`);
    }

    const harness = await step('Starting the Apps-Engine runtime', () =>
      AppsEngineHarness.start({
        siteUrl: publicUrl,
        storage: options.dataDir ? { file: join(options.dataDir, 'app-storage.json') } : undefined,
        onAppLog: (record) => printLog(out, record, options.verbose, passwordSettings(record.appId)),
      }),
    );
    world.harness = harness;
    stoppers.push(() => harness.stop());
    for (const user of USERS) harness.addUser(user);
    for (const room of ROOMS) harness.addRoom(room);
    const { appId } = await step(`Installing ${manifest.name} ${manifest.version}`, () => harness.installZip(zipPath));
    runtimePids = () => [harness.denoProcessId(appId)].filter((pid): pid is number => pid !== undefined);

    await step('Configuring the app', async () => {
      // Enabling last: a slot switched on half filled in would be reported as broken meanwhile.
      const ordered = Object.entries(settings).sort(([a], [b]) => Number(a.endsWith('_enabled')) - Number(b.endsWith('_enabled')));
      for (const [id, value] of ordered) await harness.setSetting(appId, id, value);
    });

    // Mattermost: the stand-in for a Mattermost server (none can run here) and the service, the same provider.
    const mattermost = await step('Starting the Mattermost stand-in and service', () =>
      startMattermostWorld({
        host: options.host,
        publicBase: mattermostBase,
        allowHttpLoopback: settings.allow_http_loopback === true,
        providers: async () => [providerEntryOf(settings)],
        sqlitePath: options.dataDir ? join(options.dataDir, 'mattermost.sqlite') : undefined,
        tokenKey: persistedSecret(options.dataDir, 'mattermost-token-key.json', newSealingKey, 'tokenKey'),
        stableUserIds: Boolean(options.dataDir),
      }),
    );
    stoppers.push(() => mattermost.close());
    world.mattermost = new MattermostChat(mattermost);

    if (options.realProvider) out.log(`Register these redirect URIs at your provider: ${redirectUri} (Rocket.Chat) and ${mattermostRedirectUri} (Mattermost)`);
    out.log(`Storage: ${options.dataDir ? `${options.dataDir} (connections survive a restart)` : 'in memory'}`);
    if (hostWarning) out.error(`\n${hostWarning}`);
    out.log(
      `\nOAuth Connector is running: open ${publicUrl}\nType /oauth connect in the chat; the page's Platform menu switches between Rocket.Chat and Mattermost (a stand-in for a Mattermost server). Ctrl+C stops it.`,
    );

    await stopping;
    out.log('Stopping…');
    return (await stopAll()) ? 0 : 1;
  } catch (error) {
    const inTime = await stopAll();
    if (error instanceof Stopped) {
      out.log('Stopped before it was running.');
      return inTime ? 0 : 1;
    }
    out.error(`npm start: ${error instanceof StartError ? error.message : `unexpected failure: ${error instanceof Error ? error.stack : String(error)}`}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

class StartError extends Error {}
/** A stop was asked for (SIGINT, SIGTERM) while starting. */
class Stopped extends Error {}

/** `npm run package`'s own script, so what runs here is exactly the zip an admin would upload. */
async function buildPackage(projectDir: string, signal: AbortSignal): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [join(projectDir, 'scripts', 'package.mjs')], { cwd: projectDir, signal });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || (error as Error).message);
  }
  const manifest = JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8')) as { nameSlug: string; version: string };
  return join(projectDir, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
}

/** A secret made once per data folder (0600), or per run in memory: the demo client's, the Mattermost sealing key. Never printed. */
function persistedSecret(dataDir: string | undefined, name: string, make = () => randomBytes(24).toString('base64url'), field = 'clientSecret'): string {
  if (!dataDir) return make();
  const file = join(dataDir, name);
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[field];
  const secret = make();
  writeFileSync(file, JSON.stringify({ [field]: secret }), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** The Rocket.Chat slot-1 settings as a Mattermost configuration's provider entry: the same fields. */
function providerEntryOf(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([key]) => key.startsWith('provider1_'))
      .map(([key, value]) => [key.slice('provider1_'.length), value]),
  );
}

/**
 * App log entries in the terminal, redacted; debug and the runtime's own entries only with --verbose.
 * The runtime's entries carry each endpoint request (headers with visitors' cookies, the callback's
 * code and state) and each setting update (the setting with its value), so every entry is redacted
 * structurally: credential-named members (core/redact.ts), and the value of any setting that is a
 * password setting, by the engine's definitions or by the type the logged setting says it has.
 * The password settings' current values are masked wherever they appear besides.
 */
function printLog(out: Pick<Console, 'log' | 'error'>, record: LogRecord, verbose: boolean, passwords: Array<{ id: string; value: unknown }>): void {
  const passwordIds = new Set(passwords.map((setting) => setting.id));
  const options = {
    secrets: knownSecrets(passwords),
    parseJsonStrings: true,
    secretMembers: (object: Readonly<Record<string, unknown>>) =>
      typeof object.id === 'string' && (passwordIds.has(object.id) || object.type === 'password') ? ['value', 'packageValue'] : [],
  };
  for (const entry of record.entries) {
    if (!verbose && (entry.source !== 'app' || entry.severity === 'debug')) continue;
    const args = entry.args
      .map((arg) => redactStructured(arg, options))
      .map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg)))
      .join(' ');
    const line = `[${entry.source}] ${entry.severity.padEnd(5)} ${record.method ?? ''} ${args}`;
    if (entry.severity === 'error') out.error(line);
    else out.log(line);
  }
}

function knownSecrets(passwords: Array<{ id: string; value: unknown }>): string[] {
  return passwords.map((setting) => setting.value).filter((value): value is string => typeof value === 'string');
}
