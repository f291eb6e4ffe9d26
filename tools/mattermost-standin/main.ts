/**
 * The stand-in as a process of its own: a demo team, two people, an admin and a bot with its token,
 * then the address and the tokens printed, so a service under development has a Mattermost to talk to.
 * Run with `node scripts/mattermost-standin.mjs [--port 8065] [--host 127.0.0.1] [--site-url URL]
 * [--allow-internal "127.0.0.1 localhost"]`.
 */
import { MattermostStandIn } from './server';

export interface DemoOptions {
  port: number;
  host: string;
  siteUrl?: string;
  /** AllowedUntrustedInternalConnections; the demo lists this machine, where the service runs. */
  allowInternal?: string[];
}

const LOCAL = ['127.0.0.1', 'localhost', '::1'];

export interface Demo {
  standIn: MattermostStandIn;
  allowedInternal: string[];
  /** What the demo seeded, by name. */
  team: { id: string; name: string };
  channels: Record<'town-square' | 'off-topic', string>;
  users: Record<'alice' | 'bob' | 'ada', { id: string; token: string }>;
  bot: { id: string; username: string; token: string };
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const standIn = await MattermostStandIn.start({
    port: options.port,
    host: options.host,
    siteUrl: options.siteUrl,
    allowedUntrustedInternalConnections: options.allowInternal ?? LOCAL,
  });
  const team = standIn.addTeam({ name: 'demo', displayName: 'Demo' });
  const alice = standIn.addUser({ username: 'alice', firstName: 'Alice', teams: [team.id] });
  const bob = standIn.addUser({ username: 'bob', firstName: 'Bob', locale: 'fr', teams: [team.id] });
  const ada = standIn.addUser({ username: 'ada', firstName: 'Ada', roles: 'system_admin', teams: [team.id] });
  const members = [alice.id, bob.id, ada.id];
  const townSquare = standIn.addChannel(team.id, { name: 'town-square', displayName: 'Town Square', members });
  const offTopic = standIn.addChannel(team.id, { name: 'off-topic', displayName: 'Off-Topic', members });
  const bot = standIn.addBot({ username: 'oauth-bot', owner: ada.id, displayName: 'OAuth' });
  return {
    standIn,
    allowedInternal: options.allowInternal ?? LOCAL,
    team: { id: team.id, name: team.name },
    channels: { 'town-square': townSquare.id, 'off-topic': offTopic.id },
    users: {
      alice: { id: alice.id, token: standIn.loginAs(alice.id) },
      bob: { id: bob.id, token: standIn.loginAs(bob.id) },
      ada: { id: ada.id, token: standIn.loginAs(ada.id) },
    },
    bot: { id: bot.user.id, username: bot.user.username, token: bot.token },
  };
}

/** What `main` prints: the address first, then each seeded account with a token to use it. */
export function describeDemo(demo: Demo): string {
  const lines = [
    `Mattermost stand-in listening on ${demo.standIn.url} (site URL ${demo.standIn.siteUrl})`,
    `integrations may be reached on ${demo.allowedInternal.join(' ')} (AllowedUntrustedInternalConnections)`,
    `team ${demo.team.name} ${demo.team.id}; channels town-square ${demo.channels['town-square']}, off-topic ${demo.channels['off-topic']}`,
    ...Object.entries(demo.users).map(([name, user]) => `user ${name} ${user.id} token ${user.token}${name === 'ada' ? ' (system admin)' : ''}`),
    `bot ${demo.bot.username} ${demo.bot.id} token ${demo.bot.token}`,
  ];
  return lines.join('\n');
}

function option(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

/** Starts the demo and runs until SIGINT or SIGTERM. Port 8065 is Mattermost's own default. */
export async function main(argv: string[], out: Pick<Console, 'log'> = console): Promise<Demo> {
  const port = Number(option(argv, '--port') ?? process.env.PORT ?? 8065);
  const allowInternal = option(argv, '--allow-internal')
    ?.split(/[\s,]+/)
    .filter((entry) => entry !== '');
  const demo = await startDemo({ port, host: option(argv, '--host') ?? '127.0.0.1', siteUrl: option(argv, '--site-url'), allowInternal });
  out.log(describeDemo(demo));
  const stop = () => void demo.standIn.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return demo;
}
