/**
 * `npm run mattermost -- setup`: registers `/oauth` on the named teams with a system or team admin's
 * token (a bot cannot own a slash command: api4/command.go createCommand needs manage_slash_commands
 * on the team) and prints what the service's configuration needs: each team's command token, and a
 * sealing key when asked for one.
 */
import * as z from 'zod/mini';
import '../core/zod-messages';
import { newSealingKey } from '../core/sealing';
import { COMMAND_PATH } from './config';
import { MattermostApi } from './rest';

export interface SetupOptions {
  siteUrl: string;
  adminToken: string;
  teams: string[];
  /** Where Mattermost reaches the service. */
  serviceUrl: string;
  newKey?: boolean;
}

const team = z.object({ id: z.string(), name: z.string() });
const command = z.object({ id: z.string(), team_id: z.string(), trigger: z.string(), url: z.string(), token: z.string() });

/** The /oauth command as Mattermost lists it in autocomplete (model.Command). */
function commandFor(teamId: string, url: string) {
  return {
    team_id: teamId,
    trigger: 'oauth',
    url,
    method: 'P',
    display_name: 'OAuth',
    description: 'Connect your accounts at other services',
    auto_complete: true,
    auto_complete_desc: 'Connect, check or revoke your accounts at other services',
    auto_complete_hint: 'connect | token | refresh | revoke | status | whoami | help',
  };
}

/** Each team's id and command token; the command is created, or updated to point at the service. */
export async function setUpCommands(options: SetupOptions): Promise<Array<{ team: string; teamId: string; token: string; created: boolean }>> {
  const admin = new MattermostApi({ siteUrl: options.siteUrl, token: options.adminToken, timeoutMs: 15_000 });
  const api = <T>(method: 'GET' | 'POST' | 'PUT', path: string, body: unknown, schema: z.ZodMiniType<T>) =>
    admin.call(method, path, body, schema, `${method} ${path.split('?')[0]}`);
  const url = `${options.serviceUrl.replace(/\/+$/, '')}${COMMAND_PATH}`;
  const results = [];
  for (const name of options.teams) {
    const found = await api('GET', `/teams/name/${encodeURIComponent(name)}`, undefined, team);
    const existing = (await api('GET', `/commands?team_id=${found.id}&custom_only=true`, undefined, z.array(command))).find((c) => c.trigger === 'oauth');
    if (existing) {
      const updated = await api('PUT', `/commands/${existing.id}`, { ...existing, ...commandFor(found.id, url) }, command);
      results.push({ team: name, teamId: found.id, token: updated.token, created: false });
    } else {
      const created = await api('POST', '/commands', commandFor(found.id, url), command);
      results.push({ team: name, teamId: found.id, token: created.token, created: true });
    }
  }
  return results;
}

/** What to put in the configuration: printed, never logged elsewhere. */
export function setupReport(results: Awaited<ReturnType<typeof setUpCommands>>, newKey: boolean): string {
  const lines = results.map((r) => `  ${r.created ? 'created' : 'updated'} /oauth on team ${r.team} (${r.teamId})`);
  const tokens = Object.fromEntries(results.map((r) => [r.teamId, r.token]));
  lines.push(
    '',
    'Put these in the service configuration file:',
    JSON.stringify({ commandTokens: tokens, ...(newKey ? { tokenKey: newSealingKey() } : {}) }, null, 2),
  );
  lines.push('', `or in the environment: MATTERMOST_COMMAND_TOKENS=${results.map((r) => `${r.teamId}:${r.token}`).join(',')}`);
  return lines.join('\n');
}
