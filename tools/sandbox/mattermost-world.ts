/**
 * The Mattermost service wired to a stand-in for a Mattermost server (tools/mattermost-standin; no
 * Mattermost server can run here) and to an authorization server: one team with /oauth registered
 * the way the setup command registers it, people, a bot, and one or more service instances on one
 * database. For the tests and for `npm start`.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../src/core/redact';
import { newSealingKey } from '../../src/core/sealing';
import { AxiosTransport } from '../../src/node/axios-transport';
import { COMMAND_PATH, COMPLETE_PATH, serviceConfig, type ServiceConfig } from '../../src/mattermost/config';
import { MattermostApi } from '../../src/mattermost/rest';
import { MattermostService } from '../../src/mattermost/service';
import { openStorage, type ServiceStorage } from '../../src/mattermost/storage';
import { MattermostStandIn } from '../mattermost-standin';

export interface MattermostWorldOptions {
  /** The providers, as the configuration file lists them (`redirectUris` gives what to register at them). */
  providers: (redirectUris: string[]) => Promise<Array<Record<string, unknown>>>;
  /** PostgreSQL for several instances; else one SQLite file in a temporary folder. */
  databaseUrl?: string;
  instances?: number;
  /** Allow plain http on loopback (a provider on 127.0.0.1). */
  allowHttpLoopback?: boolean;
  logger?: Logger;
  /** An existing stand-in (npm start's); a new one otherwise. */
  standIn?: MattermostStandIn;
  host?: string;
  /** Where Mattermost and browsers reach the service (a proxy in front of it); the instance's own address by default. */
  publicBase?: string;
  /** Keep the SQLite file here (npm start's data folder) instead of a temporary folder. */
  sqlitePath?: string;
  /** The token sealing key to use (kept with the data); a new one by default. */
  tokenKey?: string;
  /**
   * The same user ids in every run (npm start with a data folder): connections kept in the database
   * belong to the same people after a restart, as on a real server. New ids by default.
   */
  stableUserIds?: boolean;
}

export interface ServiceInstance {
  base: string;
  service: MattermostService;
  storage: ServiceStorage;
  config: ServiceConfig;
}

export interface MattermostWorld {
  standIn: MattermostStandIn;
  team: { id: string; name: string };
  people: Record<'alice' | 'bob' | 'ada', { id: string; username: string; name: string; admin: boolean }>;
  channels: Record<'town' | 'bobs', string>;
  /** Who is in which channel, for a chat page. */
  channelMembers: Record<'town' | 'bobs', string[]>;
  commandToken: string;
  /** Where Mattermost and browsers reach the service: the one instance, or the front of several. */
  publicBase: string;
  instances: ServiceInstance[];
  close(): Promise<void>;
}

export async function startMattermostWorld(options: MattermostWorldOptions): Promise<MattermostWorld> {
  const host = options.host ?? '127.0.0.1';
  const ownStandIn = !options.standIn;
  const standIn = options.standIn ?? (await MattermostStandIn.start({ host, allowedUntrustedInternalConnections: [host] }));
  const team = standIn.addTeam({ name: 'demo', displayName: 'Demo team' });
  const id = (username: string) => (options.stableUserIds ? stableId(username) : undefined);
  const alice = standIn.addUser({ id: id('alice'), username: 'alice', firstName: 'Alice', lastName: 'Liddell', locale: 'en', teams: [team.id] });
  const bob = standIn.addUser({ id: id('bob'), username: 'bob', firstName: 'Bob', locale: 'de', teams: [team.id] });
  const ada = standIn.addUser({ id: id('ada'), username: 'ada', firstName: 'Ada', roles: 'system_user system_admin', teams: [team.id] });
  const town = standIn.addChannel(team.id, { name: 'town-square', displayName: 'Town Square', members: [alice.id, bob.id, ada.id] });
  const bobs = standIn.addChannel(team.id, { name: 'bobs-corner', displayName: "Bob's corner", members: [bob.id] });
  const bot = standIn.addBot({ username: 'oauth', owner: ada.id, displayName: 'OAuth' });

  // Each instance listens before its configuration exists: its address is part of it. Several
  // instances sit behind one public address, as behind a load balancer, taking requests in turn.
  const servers = await Promise.all(Array.from({ length: options.instances ?? 1 }, () => listening(host)));
  const bases = servers.map(({ server }) => `http://${host}:${(server.address() as AddressInfo).port}`);
  const front = bases.length > 1 ? await roundRobin(host, bases) : undefined;
  const publicBase = options.publicBase ?? front?.base ?? bases[0];
  const command = standIn.addCommand(ada.id, { team_id: team.id, trigger: 'oauth', url: `${publicBase}${COMMAND_PATH}`, auto_complete: true });
  const providers = await options.providers([`${publicBase}${COMPLETE_PATH}`]);
  const folder = options.databaseUrl || options.sqlitePath ? undefined : mkdtempSync(join(tmpdir(), 'oauth-mattermost-'));
  const tokenKey = options.tokenKey ?? newSealingKey();
  const logger = options.logger ?? silentLogger;

  const instances: ServiceInstance[] = [];
  for (const [index, { setHandler }] of servers.entries()) {
    const config = serviceConfig(
      {
        siteUrl: standIn.siteUrl,
        botToken: bot.token,
        commandTokens: { [team.id]: command.token },
        publicBaseUrl: publicBase,
        tokenKey,
        allowHttpLoopback: options.allowHttpLoopback ?? true,
        databaseUrl: options.databaseUrl,
        sqlitePath: options.sqlitePath ?? (folder && join(folder, 'oauth.sqlite')),
        providers,
      },
      {},
    );
    const storage = await openStorage({ ...config.storage, logger });
    const api = new MattermostApi({ siteUrl: config.mattermost.siteUrl, token: config.mattermost.botToken });
    const service = new MattermostService({ config, stores: storage, api, transport: new AxiosTransport(), logger });
    setHandler((request, response) => void service.handle(request, response));
    instances.push({ base: bases[index], service, storage, config });
  }

  return {
    standIn,
    team: { id: team.id, name: team.name },
    people: {
      alice: { id: alice.id, username: alice.username, name: 'Alice Liddell', admin: false },
      bob: { id: bob.id, username: bob.username, name: 'Bob (Deutsch)', admin: false },
      ada: { id: ada.id, username: ada.username, name: 'Ada (system admin)', admin: true },
    },
    channels: { town: town.id, bobs: bobs.id },
    channelMembers: { town: [alice.id, bob.id, ada.id], bobs: [bob.id] },
    commandToken: command.token,
    publicBase,
    instances,
    async close() {
      await front?.close();
      await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await Promise.all(instances.map((instance) => instance.storage.close()));
      if (ownStandIn) await standIn.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A Mattermost-shaped id (26 of a-z0-9) that is the same for the same name in every run. */
function stableId(name: string): string {
  const digest = createHash('sha256').update(`oauth-connector demo user ${name}`).digest();
  return Array.from(digest.subarray(0, 26), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listening(host: string): Promise<{ server: Server; setHandler(handler: Handler): void }> {
  let handler: Handler = (_request, response) => {
    response.writeHead(503).end();
  };
  const server = createServer((request, response) => handler(request, response));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, setHandler: (next) => (handler = next) };
}

/** A load balancer in miniature: each request goes to the next instance, body and answer passed through. */
async function roundRobin(host: string, targets: string[]): Promise<{ base: string; close(): Promise<void> }> {
  let next = 0;
  const server = createServer((request, response) => {
    const target = new URL(request.url ?? '/', targets[next++ % targets.length]);
    const upstream = httpRequest(target, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.headersSent || response.writeHead(502).end());
    request.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    base: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
