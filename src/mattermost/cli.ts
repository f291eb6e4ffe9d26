/**
 * `npm run mattermost -- serve [--config file.json]` runs the service; `npm run mattermost -- setup
 * --site URL --admin-token TOKEN --teams a,b --service-url URL [--new-key]` registers /oauth on teams.
 * `npm run mattermost -- new-key` prints a fresh token sealing key.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { newSealingKey } from '../core/sealing';
import { AxiosTransport } from '../node/axios-transport';
import { ConfigError, readConfigFile, serviceConfig } from './config';
import { jsonLineLogger } from './log';
import { MattermostApi } from './rest';
import { MattermostService } from './service';
import { setUpCommands, setupReport } from './setup';
import { openStorage } from './storage';

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [command = 'help', ...rest] = argv;
  try {
    if (command === 'serve') return await serve(rest, env);
    if (command === 'setup') return await setup(rest, env);
    if (command === 'new-key') {
      process.stdout.write(`${newSealingKey()}\n`);
      return 0;
    }
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(
    'Usage: npm run mattermost -- serve [--config file.json] | setup --site URL --admin-token TOKEN --teams a,b --service-url URL [--new-key] | new-key\n',
  );
  return command === 'help' ? 0 : 2;
}

async function serve(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const file = values.config ?? env.OAUTH_CONFIG;
  const config = serviceConfig(file ? readConfigFile(file) : {}, env);
  const secrets = [config.mattermost.botToken, ...config.mattermost.commandTokens.values(), ...config.app.providers.map((p) => p.client.clientSecret)];
  const logger = jsonLineLogger({ secrets: () => secrets });
  const storage = await openStorage({ ...config.storage, logger });
  const api = new MattermostApi({ siteUrl: config.mattermost.siteUrl, token: config.mattermost.botToken });
  const service = new MattermostService({ config, stores: storage, api, transport: new AxiosTransport(), logger });
  const server = service.server();
  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  logger.info(`Serving /oauth for Mattermost at ${config.publicBaseUrl} (${storage.kind}, ${config.app.providers.length} providers)`);
  for (const problem of config.app.problems)
    logger.warn(`Provider setting ${problem.settingId} skipped: ${problem.key} ${JSON.stringify(problem.params ?? {})}`);
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  server.close();
  await storage.close();
  return 0;
}

async function setup(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      site: { type: 'string' },
      'admin-token': { type: 'string' },
      teams: { type: 'string' },
      'service-url': { type: 'string' },
      'new-key': { type: 'boolean' },
    },
  });
  const siteUrl = values.site ?? env.MATTERMOST_SITE_URL;
  const adminToken = values['admin-token'] ?? env.MATTERMOST_ADMIN_TOKEN;
  const serviceUrl = values['service-url'] ?? env.OAUTH_PUBLIC_BASE_URL;
  const teams = (values.teams ?? '').split(',').filter(Boolean);
  if (!siteUrl || !adminToken || !serviceUrl || !teams.length) {
    throw new Error(
      'setup needs --site (or MATTERMOST_SITE_URL), --admin-token (or MATTERMOST_ADMIN_TOKEN), --service-url (or OAUTH_PUBLIC_BASE_URL) and --teams',
    );
  }
  const results = await setUpCommands({ siteUrl, adminToken, teams, serviceUrl });
  process.stdout.write(`${setupReport(results, values['new-key'] ?? false)}\n`);
  return 0;
}
