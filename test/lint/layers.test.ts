/**
 * The layers' import rules (eslint.config.mjs) on deliberate violations: lint must reject the core
 * importing the app layer, a platform, an adapter or a tool, the app layer importing a platform or an
 * adapter, and the adapter importing a tool; the same imports are fine where the layers allow them. ESLint runs as a child process on each snippet, as `npm run lint` runs it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const ESLINT = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

/** The rule ids ESLint reports for `code` as if it were the file at `path`. */
function lint(path: string, code: string): string[] {
  let output: string;
  try {
    output = execFileSync(process.execPath, [ESLINT, '--stdin', '--stdin-filename', path, '--format', 'json'], { cwd: ROOT, input: code, encoding: 'utf8' });
  } catch (error) {
    // ESLint exits 1 when it found problems; its report is still on stdout.
    output = (error as { stdout: string }).stdout;
  }
  const [result] = JSON.parse(output) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.map((m) => m.ruleId ?? m.message);
}

const uses = (what: string) => `import { ${what} } from 'x';\nexport const used = ${what};\n`;

describe('the layers, as lint enforces them', () => {
  it.each([
    ['a chat platform', "import type { IRead } from '@rocket.chat/apps-engine/definition/accessors';\nexport type Read = IRead;\n"],
    ['the Rocket.Chat adapter', uses('settingDefinitions').replace("'x'", "'../rocketchat/settings'")],
    ['a tool', uses('AppsEngineHarness').replace("'x'", "'../../tools/harness'")],
    ['the Node ports', uses('AxiosTransport').replace("'x'", "'../node/axios-transport'")],
    ['the app layer', uses('runOAuthCommand').replace("'x'", "'../app/commands/router'")],
  ])('the core may not import %s', (_what, code) => {
    expect(lint('src/core/violation.ts', code)).toContain('no-restricted-imports');
  });

  it.each([
    ['a chat platform', "import type { IUser } from '@rocket.chat/apps-engine/definition/users';\nexport type U = IUser;\n"],
    ['another chat platform', "import type { UserProfile } from '@mattermost/types/users';\nexport type U = UserProfile;\n"],
    ['the Rocket.Chat adapter', uses('loadConfiguration').replace("'x'", "'../rocketchat/configuration'")],
    ['a Rocket.Chat command', uses('OAuthCommand').replace("'x'", "'../../commands/OAuthCommand'")],
    ['a tool', uses('AppsEngineHarness').replace("'x'", "'../../tools/harness'")],
  ])('the app layer may not import %s', (_what, code) => {
    expect(lint('src/app/commands/violation.ts', code)).toContain('no-restricted-imports');
  });

  it('the app layer may import the core', () => {
    expect(lint('src/app/fine.ts', uses('OAuthConnector').replace("'x'", "'../core/connector'"))).toEqual([]);
  });

  it('the Rocket.Chat adapter may import the platform, the app layer and the core, but no tool', () => {
    expect(
      lint(
        'src/rocketchat/fine.ts',
        "import type { IRead } from '@rocket.chat/apps-engine/definition/accessors';\nimport { OAuthError } from '../core/errors';\nimport { runOAuthCommand } from '../app/commands/router';\nexport type R = IRead;\nexport const E = OAuthError;\nexport const run = runOAuthCommand;\n",
      ),
    ).toEqual([]);
    expect(lint('src/rocketchat/violation.ts', uses('AppsEngineHarness').replace("'x'", "'../../tools/harness'"))).toContain('no-restricted-imports');
  });

  it('the Mattermost service may import the app layer, the core and the Node ports, but neither Rocket.Chat nor a tool', () => {
    expect(
      lint(
        'src/mattermost/fine.ts',
        "import { OAuthError } from '../core/errors';\nimport { runOAuthCommand } from '../app/commands/router';\nimport { AxiosTransport } from '../node/axios-transport';\nexport const E = OAuthError;\nexport const run = runOAuthCommand;\nexport const T = AxiosTransport;\n",
      ),
    ).toEqual([]);
    expect(lint('src/mattermost/violation.ts', uses('loadConfiguration').replace("'x'", "'../rocketchat/configuration'"))).toContain('no-restricted-imports');
    expect(
      lint('src/mattermost/violation.ts', "import type { IRead } from '@rocket.chat/apps-engine/definition/accessors';\nexport type R = IRead;\n"),
    ).toContain('no-restricted-imports');
    expect(lint('src/mattermost/violation.ts', uses('AppsEngineHarness').replace("'x'", "'../../tools/harness'"))).toContain('no-restricted-imports');
  });

  it('tools may import anything', () => {
    expect(lint('tools/sandbox/fine.ts', uses('settingDefinitions').replace("'x'", "'../../src/rocketchat/settings'"))).toEqual([]);
  });
});
