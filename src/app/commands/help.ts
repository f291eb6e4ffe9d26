/** `/oauth help`: the subcommands, the enabled providers and, for admins, the setup to do. */
import type { CommandContext } from '../context';
import type { MessageKey } from '../i18n';

const LINES: MessageKey[] = ['help_connect', 'help_status', 'help_token', 'help_refresh', 'help_whoami', 'help_revoke', 'help_help'];

export async function help(ctx: CommandContext, unknownSubcommand?: string): Promise<void> {
  const { t, config } = ctx;
  const ids = config.providers.map((p) => p.definition.id);
  const placeholder = ids.length === 1 ? ids[0] : '<provider>';
  const sections: string[] = [];
  if (unknownSubcommand !== undefined) sections.push(t('help_unknown_subcommand', { subcommand: unknownSubcommand }));
  sections.push([t('help_title'), ...LINES.map((key) => `• ${t(key, { provider: placeholder })}`)].join('\n'));
  sections.push(
    ids.length
      ? t('help_providers', { providers: config.providers.map(({ definition }) => providerLabel(definition.displayName, definition.id)).join(', ') })
      : t('help_no_providers'),
  );
  if (ctx.user.isAdmin) sections.push(adminSection(ctx));
  await ctx.reply({ sections });
}

function adminSection({ t, config }: CommandContext): string {
  const lines = [t('help_admin_title')];
  if (!config.redirectUri) lines.push(t('help_admin_no_base_url'));
  else for (const p of config.providers) lines.push(t('help_admin_redirect', { provider: p.definition.displayName, uri: config.redirectUri }));
  for (const problem of config.problems) {
    lines.push(t('help_admin_problem', { slot: problem.slot, setting: problem.settingId, problem: t(problem.key, problem.params) }));
  }
  return lines.join('\n');
}

/** `GitHub (\`github\`)`, or just `\`demo\`` where the name users type is the name itself. */
export function providerLabel(displayName: string, id: string): string {
  return displayName === id ? `\`${id}\`` : `${displayName} (\`${id}\`)`;
}
