/**
 * What `npm start` can be told, by flag or environment variable (a flag wins), validated here.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

export const USAGE = `Usage: npm start -- [options]

Runs the app on the Apps-Engine runtime with a demo authorization server and a chat page.
  --port <n>            chat page and app endpoints (PORT; default 3000)
  --host <address>      address to listen on (HOST; default 127.0.0.1)
  --public-url <url>    address browsers use, the base of redirect URIs (PUBLIC_URL; default http://<host>:<port>)
  --data-dir <dir>      where connections, settings and the demo server's data are kept (DATA_DIR; default ./data)
  --memory              keep nothing on disk (STORAGE=memory)
  --provider-port <n>   the demo authorization server (DEMO_PROVIDER_PORT; default port + 1)
  --token-ttl <s>       demo access token lifetime in seconds, to watch refreshes (DEMO_TOKEN_TTL; default 3600)
  --settings <file>     a real provider instead of the demo one: a JSON file of app settings (OAUTH_SETTINGS_FILE),
                        e.g. {"provider1_preset": "github", "provider1_client_id": "…", "provider1_client_secret": "…"}
  --verbose             also print the runtime's own log entries
A real provider can also come from OAUTH_PRESET, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SITE, OAUTH_SCOPES, OAUTH_ID.`;

export class UsageError extends Error {}

const port = z.coerce.number().int().min(0).max(65535);
const settingValue = z.union([z.string(), z.boolean(), z.number()]);
/** App setting ids a file may set: the slots', the public base URL and the outbound policy's. */
const settingsFileSchema = z.record(
  z
    .string()
    .regex(
      /^(provider[1-3]_(enabled|preset|id|client_id|client_secret|site|scopes|advanced)|public_base_url|outbound_allowed_hosts|allow_http_loopback)$/,
      'is not a setting of the app',
    ),
  settingValue,
);

export interface LocalOptions {
  port: number;
  host: string;
  publicUrl: string;
  dataDir?: string;
  providerPort: number;
  tokenTtlSeconds: number;
  /** App settings of a real provider; undefined: the demo provider. */
  realProvider?: Record<string, string | boolean | number>;
  verbose: boolean;
}

const FLAGS_WITH_VALUE = ['port', 'host', 'public-url', 'data-dir', 'provider-port', 'token-ttl', 'settings'] as const;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, cwd: string): LocalOptions | 'help' {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`Unexpected argument "${arg}".`);
    const [, name, inline] = match;
    if ((FLAGS_WITH_VALUE as readonly string[]).includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
      flags[name] = value;
    } else if (name === 'memory' || name === 'verbose') {
      flags[name] = true;
    } else {
      throw new UsageError(`Unknown option --${name}.`);
    }
  }
  const pick = (flag: string, variable: string) => (typeof flags[flag] === 'string' ? (flags[flag] as string) : env[variable]);

  const parsedPort = port.safeParse(pick('port', 'PORT') ?? 3000);
  if (!parsedPort.success) throw new UsageError('--port must be a number from 0 to 65535.');
  const host = pick('host', 'HOST') ?? '127.0.0.1';
  const providerPort = port.safeParse(pick('provider-port', 'DEMO_PROVIDER_PORT') ?? (parsedPort.data === 0 ? 0 : parsedPort.data + 1));
  if (!providerPort.success) throw new UsageError('--provider-port must be a number from 0 to 65535.');
  const ttl = z.coerce
    .number()
    .int()
    .min(2)
    .max(86400)
    .safeParse(pick('token-ttl', 'DEMO_TOKEN_TTL') ?? 3600);
  if (!ttl.success) throw new UsageError('--token-ttl must be a number of seconds from 2 to 86400.');
  const publicUrl = pick('public-url', 'PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl))
    throw new UsageError('--public-url must be an http(s) URL without query, like http://localhost:3000.');
  const memory = flags.memory === true || env.STORAGE === 'memory';

  return {
    port: parsedPort.data,
    host,
    // Filled in with the actual port once listening when --port 0.
    publicUrl: publicUrl?.replace(/\/+$/, '') ?? '',
    dataDir: memory ? undefined : resolve(cwd, pick('data-dir', 'DATA_DIR') ?? 'data'),
    providerPort: providerPort.data,
    tokenTtlSeconds: ttl.data,
    realProvider: realProviderSettings(pick('settings', 'OAUTH_SETTINGS_FILE'), env, cwd),
    verbose: flags.verbose === true,
  };
}

function realProviderSettings(file: string | undefined, env: NodeJS.ProcessEnv, cwd: string): LocalOptions['realProvider'] {
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
    } catch (error) {
      throw new UsageError(`Cannot read the settings file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON'}.`);
    }
    const parsed = settingsFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`Settings file ${file}: ${issue.path.join('.') || '(top level)'} ${issue.message}.`);
    }
    return { provider1_enabled: true, ...parsed.data };
  }
  if (!env.OAUTH_PRESET) return undefined;
  if (!env.OAUTH_CLIENT_ID) throw new UsageError('OAUTH_PRESET is set but OAUTH_CLIENT_ID is not.');
  return {
    provider1_enabled: true,
    provider1_preset: env.OAUTH_PRESET,
    provider1_id: env.OAUTH_ID ?? '',
    provider1_client_id: env.OAUTH_CLIENT_ID,
    provider1_client_secret: env.OAUTH_CLIENT_SECRET ?? '',
    provider1_site: env.OAUTH_SITE ?? '',
    provider1_scopes: env.OAUTH_SCOPES ?? '',
  };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an address only this machine reaches: 127.0.0.0/8 (IPv4-mapped too), ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const address = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (address === 'localhost' || address === 'localhost.') return true;
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** What `npm start` prints when it listens beyond loopback; undefined on loopback. */
export function openHostWarning(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return (
    `Warning: --host ${host || '(all interfaces)'} is reachable from other machines, and the chat page has no login: ` +
    'anyone who can reach it can act as any chat user (the admin included) and use their connected accounts. Use it only on a network you trust.'
  );
}
