/**
 * The service's configuration: a JSON file, with the environment overriding it (secrets are often
 * given that way). Providers take the same fields as Rocket.Chat's setting slots
 * (src/app/provider-settings.ts), one entry each. What the service cannot run without is refused at
 * start with every problem named; a wrong provider is skipped and reported, the others work.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { isOAuthError } from '../core/errors';
import { parseSealingKey, type KeyRing, type SealingKey } from '../core/sealing';
import '../core/zod-messages';
import { isBaseUrl, type AppConfig } from '../app/config';
import { endpointPolicyOf, providersOf, type SettingNames } from '../app/provider-settings';

export const COMMAND_PATH = '/mattermost/command';
export const ACTION_PATH = '/mattermost/action';
export const CONNECT_PATH = '/connect';
export const COMPLETE_PATH = '/complete';

const httpUrl = z.string().check(z.refine(isBaseUrl, 'must be an http(s) URL without query or fragment'));

const fileSchema = z.object({
  siteUrl: z.optional(httpUrl),
  botToken: z.optional(z.string()),
  /** Team id → the token Mattermost gave the team's /oauth command. */
  commandTokens: z.optional(z.record(z.string(), z.string())),
  publicBaseUrl: z.optional(httpUrl),
  host: z.optional(z.string()),
  port: z.optional(z.number().check(z.int(), z.gte(0), z.lte(65535))),
  databaseUrl: z.optional(z.string()),
  sqlitePath: z.optional(z.string()),
  tokenKey: z.optional(z.string()),
  retiredTokenKeys: z.optional(z.array(z.string())),
  outboundAllowedHosts: z.optional(z.string()),
  allowHttpLoopback: z.optional(z.boolean()),
  providers: z.optional(z.array(z.record(z.string(), z.unknown()))),
});
type FileConfig = z.infer<typeof fileSchema>;

export interface MattermostSettings {
  siteUrl: string;
  botToken: string;
  commandTokens: ReadonlyMap<string, string>;
}

export interface ServiceConfig {
  app: AppConfig;
  keyRing: KeyRing;
  mattermost: MattermostSettings;
  publicBaseUrl: string;
  actionUrl: string;
  listen: { host: string; port: number };
  storage: { databaseUrl?: string; sqlitePath: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The service cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Problems name the keys of the configuration file (and the variable that overrides each). */
const NAMES: SettingNames = {
  field: (slot, field) => `providers[${slot - 1}].${field}`,
  allowedHosts: 'outboundAllowedHosts',
  httpLoopback: 'allowHttpLoopback',
};

/** Environment variables, each overriding one key of the file. */
export const ENVIRONMENT = {
  siteUrl: 'MATTERMOST_SITE_URL',
  botToken: 'MATTERMOST_BOT_TOKEN',
  commandTokens: 'MATTERMOST_COMMAND_TOKENS',
  publicBaseUrl: 'OAUTH_PUBLIC_BASE_URL',
  host: 'OAUTH_HOST',
  port: 'OAUTH_PORT',
  databaseUrl: 'OAUTH_DATABASE_URL',
  sqlitePath: 'OAUTH_SQLITE_PATH',
  tokenKey: 'OAUTH_TOKEN_KEY',
  retiredTokenKeys: 'OAUTH_TOKEN_KEYS_RETIRED',
} as const;

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`the configuration file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([`the configuration file ${path} is not JSON`]);
  }
}

/** The configuration from a parsed file (or `{}`) and the environment. */
export function serviceConfig(file: unknown, env: Record<string, string | undefined>): ServiceConfig {
  const parsed = fileSchema.safeParse(withEnvironment(file, env));
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'configuration'}: ${issue.message}`));
  const values = parsed.data;
  const problems: string[] = [];
  const required = <T>(value: T | undefined, key: keyof typeof ENVIRONMENT, what: string): T | undefined => {
    if (value === undefined || value === '') problems.push(`${key} (or ${ENVIRONMENT[key]}) is required: ${what}`);
    return value;
  };
  const siteUrl = required(values.siteUrl, 'siteUrl', "Mattermost's Site URL, e.g. https://chat.example.com");
  const botToken = required(values.botToken?.trim(), 'botToken', "the bot account's access token");
  const publicBaseUrl = required(values.publicBaseUrl, 'publicBaseUrl', 'where browsers and Mattermost reach this service, e.g. https://oauth.example.com');
  const commandTokens = new Map(Object.entries(values.commandTokens ?? {}).filter(([, token]) => token.trim()));
  if (!commandTokens.size)
    problems.push(
      `commandTokens (or ${ENVIRONMENT.commandTokens}) needs the /oauth command's token of at least one team ('npm run mattermost -- setup' prints them)`,
    );
  const keyRing = keyRingOf(values, problems);
  if (problems.length || !siteUrl || !botToken || !publicBaseUrl || !keyRing) throw new ConfigError(problems);

  const base = publicBaseUrl.replace(/\/+$/, '');
  const redirectUri = `${base}${COMPLETE_PATH}`;
  const policy = endpointPolicyOf({ allowedHosts: values.outboundAllowedHosts, httpLoopback: values.allowHttpLoopback }, NAMES);
  const entries = (values.providers ?? []).map((entry, index) => ({ slot: index + 1, values: { enabled: true, ...entry } }));
  const providers = providersOf(entries, { redirectUri, policy: policy.policy, names: NAMES });
  return {
    app: {
      providers: providers.providers,
      problems: [...policy.problems, ...providers.problems],
      connectUrl: `${base}${CONNECT_PATH}`,
      redirectUri,
      endpointPolicy: policy.policy,
    },
    keyRing,
    mattermost: { siteUrl: siteUrl.replace(/\/+$/, ''), botToken, commandTokens },
    publicBaseUrl: base,
    actionUrl: `${base}${ACTION_PATH}`,
    listen: { host: values.host ?? '0.0.0.0', port: values.port ?? 8080 },
    storage: { databaseUrl: values.databaseUrl || undefined, sqlitePath: values.sqlitePath ?? 'data/oauth-mattermost.sqlite' },
  };
}

function withEnvironment(file: unknown, env: Record<string, string | undefined>): unknown {
  const merged: Record<string, unknown> = file && typeof file === 'object' && !Array.isArray(file) ? { ...(file as Record<string, unknown>) } : {};
  for (const [key, variable] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (key === 'port') merged.port = Number(value);
    else if (key === 'retiredTokenKeys') merged.retiredTokenKeys = value.split(/[\s,]+/).filter(Boolean);
    else if (key === 'commandTokens')
      merged.commandTokens = Object.fromEntries(
        value
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((pair) => pair.split(':', 2)),
      );
    else merged[key] = value;
  }
  return merged;
}

/** The sealing keys; messages name the key's place, never the key. */
function keyRingOf(values: FileConfig, problems: string[]): KeyRing | undefined {
  const parse = (text: string, place: string): SealingKey | undefined => {
    try {
      return parseSealingKey(text.trim(), place);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      problems.push(`${place}: ${error.message}`);
      return undefined;
    }
  };
  const others = (values.retiredTokenKeys ?? []).flatMap((text, index) => parse(text, `retiredTokenKeys[${index}]`) ?? []);
  if (!values.tokenKey?.trim()) {
    problems.push(`tokenKey (or ${ENVIRONMENT.tokenKey}) is required: it seals users' tokens at rest ('npm run mattermost -- new-key' prints one)`);
    return undefined;
  }
  const current = parse(values.tokenKey, 'tokenKey');
  return current && { current, others: others.filter((other) => other.id !== current.id) };
}
