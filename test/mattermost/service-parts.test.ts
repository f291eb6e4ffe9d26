import { ActionSigner } from '../../src/mattermost/action-signing';
import { ConfigError, serviceConfig } from '../../src/mattermost/config';
import { MATTERMOST_DICTIONARIES } from '../../src/mattermost/messages';
import { newSealingKey } from '../../src/core/sealing';
import { randomBytes } from 'node:crypto';

describe('Mattermost buttons: a click is honoured only as signed, in time, by the user it was shown to', () => {
  const signer = new ActionSigner(randomBytes(32));
  const action = { action: 'oauth-connect', userId: 'u'.repeat(26), expiresAt: 1_000, value: 'https://oauth.example/connect?link=x', label: 'Connect Demo' };
  const context = signer.context(action);

  it('accepts its own button clicked by its user before expiry', () => {
    expect(signer.verify(context, action.userId, 999)).toEqual({ ok: true, action });
  });

  it.each([
    ['another user', { ...context }, 'v'.repeat(26), 'other_user'],
    ['a changed link', { ...context, v: 'https://evil.example/' }, action.userId, 'forged'],
    ['a changed user', { ...context, u: 'v'.repeat(26) }, 'v'.repeat(26), 'forged'],
    ['a later expiry', { ...context, e: 9_999 }, action.userId, 'forged'],
    ['no signature', { ...context, s: undefined }, action.userId, 'malformed'],
    ['no context', undefined, action.userId, 'malformed'],
  ])('refuses %s', (_what, given, clickedBy, refusal) => {
    expect(signer.verify(given, clickedBy, 999)).toEqual({ ok: false, refusal });
  });

  it('refuses an expired button, and a button signed with another key', () => {
    expect(signer.verify(context, action.userId, 1_001)).toEqual({ ok: false, refusal: 'expired' });
    expect(new ActionSigner(randomBytes(32)).verify(context, action.userId, 999)).toEqual({ ok: false, refusal: 'forged' });
  });
});

describe('Mattermost service configuration: a file, the environment over it', () => {
  const key = newSealingKey();
  const file = {
    siteUrl: 'https://chat.example.com/',
    botToken: 'bot-token',
    commandTokens: { ['t'.repeat(26)]: 'command-token' },
    publicBaseUrl: 'https://oauth.example.com/',
    tokenKey: key,
    providers: [
      { preset: 'github', client_id: 'id', client_secret: 'secret' },
      { preset: 'nope', client_id: 'x' },
    ],
  };

  it('gives the public endpoints, the providers, and names a wrong provider by its place in the file', () => {
    const config = serviceConfig(file, {});
    expect(config.app.connectUrl).toBe('https://oauth.example.com/connect');
    expect(config.app.redirectUri).toBe('https://oauth.example.com/complete');
    expect(config.actionUrl).toBe('https://oauth.example.com/mattermost/action');
    expect(config.mattermost.siteUrl).toBe('https://chat.example.com');
    expect(config.app.providers.map((p) => p.definition.id)).toEqual(['github']);
    expect(config.app.problems).toEqual([expect.objectContaining({ slot: 2, settingId: 'providers[1].preset', key: 'problem_unknown_preset' })]);
    expect(config.storage).toEqual({ databaseUrl: undefined, sqlitePath: expect.stringContaining('.sqlite') });
  });

  it('takes secrets and the database from the environment', () => {
    const config = serviceConfig(
      { ...file, botToken: undefined, commandTokens: undefined },
      {
        MATTERMOST_BOT_TOKEN: 'from-env',
        MATTERMOST_COMMAND_TOKENS: `${'a'.repeat(26)}:one,${'b'.repeat(26)}:two`,
        OAUTH_DATABASE_URL: 'postgres://db/oauth',
        OAUTH_PORT: '9000',
      },
    );
    expect(config.mattermost.botToken).toBe('from-env');
    expect([...config.mattermost.commandTokens]).toEqual([
      ['a'.repeat(26), 'one'],
      ['b'.repeat(26), 'two'],
    ]);
    expect(config.storage.databaseUrl).toBe('postgres://db/oauth');
    expect(config.listen.port).toBe(9000);
  });

  it('refuses to start without what it needs, naming each missing key and never a secret', () => {
    let error: unknown;
    try {
      serviceConfig({ tokenKey: 'not-a-key', botToken: 'secret-bot-token' }, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['siteUrl', 'publicBaseUrl', 'commandTokens', 'tokenKey']) expect(problems).toContain(key);
    expect(problems).not.toContain('secret-bot-token');
    expect(problems).not.toContain('not-a-key');
  });
});

describe("the Mattermost service's own messages", () => {
  it('exist in every language, with the same placeholders as in English', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [language, dictionary] of Object.entries(MATTERMOST_DICTIONARIES)) {
      for (const [key, english] of Object.entries(MATTERMOST_DICTIONARIES.en)) {
        const text = (dictionary as Record<string, string>)[key];
        expect([language, key, typeof text]).toEqual([language, key, 'string']);
        expect(placeholders(text)).toEqual(placeholders(english as string));
      }
    }
  });
});
