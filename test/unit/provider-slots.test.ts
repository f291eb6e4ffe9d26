import { readEndpointPolicy, readProviderSlots } from '../../src/rocketchat/provider-slots';
import { slotSettingId, type SlotField } from '../../src/rocketchat/settings';

const REDIRECT = 'https://chat.example.com/api/apps/public/app-1/complete';

/** Setting values as an admin typed them, slot by slot. */
function settings(slots: Record<number, Partial<Record<SlotField, unknown>>>) {
  const values = new Map<string, unknown>();
  for (const [slot, fields] of Object.entries(slots))
    for (const [field, value] of Object.entries(fields)) values.set(slotSettingId(Number(slot), field as SlotField), value);
  return async (id: string) => values.get(id);
}

const github = { enabled: true, preset: 'github', client_id: 'gh-id', client_secret: 'gh-secret' };

describe('provider slots', () => {
  it('serves each enabled, valid slot under the name users type, with the shared redirect URI', async () => {
    const slots = await readProviderSlots(
      settings({
        1: github,
        2: { enabled: true, preset: 'gitlab', id: 'work-gitlab', client_id: 'gl', client_secret: 's', site: 'https://git.example.com/' },
        3: { ...github, enabled: false },
      }),
      REDIRECT,
    );
    expect(slots.problems).toEqual([]);
    expect(slots.providers.map((p) => [p.slot, p.definition.id, p.definition.endpoints.token])).toEqual([
      [1, 'github', 'https://github.com/login/oauth/access_token'],
      [2, 'work-gitlab', 'https://git.example.com/oauth/token'],
    ]);
    const entry = slots.providers.find((p) => p.definition.id === 'work-gitlab');
    expect(entry?.client).toEqual({ clientId: 'gl', clientSecret: 's', redirectUri: REDIRECT });
  });

  it.each<[string, Partial<Record<SlotField, unknown>>, SlotField, string]>([
    ['no client id', { ...github, client_id: ' ' }, 'client_id', 'problem_required'],
    ['no client secret for a confidential client', { ...github, client_secret: '' }, 'client_secret', 'problem_required'],
    ['an unknown preset', { ...github, preset: 'myspace' }, 'preset', 'problem_unknown_preset'],
    ['advanced settings that are not JSON', { ...github, advanced: '{endpoints:' }, 'advanced', 'problem_json'],
    [
      'advanced settings with a plain-http token URL',
      { ...github, advanced: '{"endpoints":{"token":"http://x.example.com/t"}}' },
      'advanced',
      'problem_invalid',
    ],
    ['a bad command name', { ...github, id: 'Git Hub!' }, 'id', 'problem_invalid'],
    ['a Redmine slot without its site', { enabled: true, preset: 'redmine', client_id: 'r', client_secret: 's' }, 'site', 'problem_invalid'],
    ['a custom slot without endpoints', { enabled: true, preset: 'custom', id: 'acme', client_id: 'c', client_secret: 's' }, 'advanced', 'problem_invalid'],
  ])('skips a slot with %s, naming the setting, and keeps the others', async (_name, bad, field, key) => {
    const slots = await readProviderSlots(settings({ 1: bad, 2: { ...github, id: 'gh2' } }), REDIRECT);
    expect(slots.problems).toEqual([expect.objectContaining({ slot: 1, settingId: slotSettingId(1, field), key })]);
    expect(slots.providers.map((p) => p.definition.id)).toEqual(['gh2']);
  });

  it('skips the second of two slots that claim the same name', async () => {
    const slots = await readProviderSlots(settings({ 1: github, 2: github }), REDIRECT);
    expect(slots.providers.map((p) => p.slot)).toEqual([1]);
    expect(slots.problems).toEqual([{ slot: 2, settingId: 'provider2_id', key: 'problem_duplicate_id', params: { id: 'github', other: '1' } }]);
  });

  describe('under the endpoint policy', () => {
    const oidc = (site: string) => ({ enabled: true, preset: 'oidc', id: 'idp', client_id: 'c', client_secret: 's', site });
    const policyOf = async (general: Record<string, unknown>) => (await readEndpointPolicy(async (id) => general[id])).policy;

    it('reads the allow-list and the development switch from the general settings, strict when unset', async () => {
      expect(await policyOf({})).toEqual({ allowHttpLoopback: false, allowedHosts: [] });
      expect(await policyOf({ outbound_allowed_hosts: 'idp.corp.internal, 10.0.0.0/8', allow_http_loopback: true })).toEqual({
        allowHttpLoopback: true,
        allowedHosts: ['idp.corp.internal', '10.0.0.0/8'],
      });
      const { problems } = await readEndpointPolicy(async (id) => (id === 'outbound_allowed_hosts' ? '10.0.0.0/40 idp' : undefined));
      expect(problems).toEqual([
        { slot: 0, settingId: 'outbound_allowed_hosts', key: 'problem_invalid', params: { detail: expect.stringContaining('10.0.0.0/40') } },
      ]);
    });

    it('skips a slot whose site is a private address, naming the allow-list and the slot setting the address came from', async () => {
      const slots = await readProviderSlots(settings({ 1: oidc('https://10.1.2.3/realms/x'), 2: github }), REDIRECT);
      expect(slots.providers.map((p) => p.slot)).toEqual([2]);
      expect(slots.problems).toEqual([
        {
          slot: 1,
          settingId: 'outbound_allowed_hosts',
          key: 'problem_invalid',
          params: {
            detail: expect.stringMatching(
              /^provider1_site \(issuer\) goes to 10\.1\.2\.3, a private address \(10\.0\.0\.0\/8\): the app calls it only if this setting names it$/,
            ),
          },
        },
      ]);
      const allowed = await readProviderSlots(settings({ 1: oidc('https://10.1.2.3/realms/x') }), REDIRECT, {
        allowHttpLoopback: false,
        allowedHosts: ['10.1.2.0/24'],
      });
      expect(allowed.problems).toEqual([]);
      expect(allowed.providers.map((p) => p.definition.issuer)).toEqual(['https://10.1.2.3/realms/x']);
    });

    it('names the advanced setting when the refused URL came from there', async () => {
      const slots = await readProviderSlots(settings({ 1: { ...github, advanced: '{"endpoints":{"token":"https://169.254.169.254/token"}}' } }), REDIRECT);
      expect(slots.problems).toEqual([
        {
          slot: 1,
          settingId: 'outbound_allowed_hosts',
          key: 'problem_invalid',
          params: { detail: expect.stringMatching(/^provider1_advanced \(endpoints\.token\) goes to 169\.254\.169\.254, a cloud metadata service/) },
        },
      ]);
    });

    it('names the development switch for plain http on loopback, and the site for plain http elsewhere', async () => {
      const loopback = await readProviderSlots(settings({ 1: oidc('http://127.0.0.1:4000') }), REDIRECT);
      expect(loopback.problems).toEqual([
        {
          slot: 1,
          settingId: 'allow_http_loopback',
          key: 'problem_invalid',
          params: {
            detail: expect.stringMatching(/^provider1_site \(issuer\) uses plain http on the loopback host 127\.0\.0\.1: allowed only for development/),
          },
        },
      ]);
      expect(
        (await readProviderSlots(settings({ 1: oidc('http://127.0.0.1:4000') }), REDIRECT, { allowHttpLoopback: true, allowedHosts: [] })).problems,
      ).toEqual([]);
      const gitlab = await readProviderSlots(
        settings({ 1: { enabled: true, preset: 'gitlab', client_id: 'g', client_secret: 's', site: 'http://git.example.com' } }),
        REDIRECT,
      );
      expect(gitlab.problems).toEqual([
        {
          slot: 1,
          settingId: 'provider1_site',
          key: 'problem_invalid',
          params: { detail: expect.stringMatching(/^endpoints\.authorization uses plain http: it must be https/) },
        },
      ]);
    });
  });

  it('never puts the client secret in a problem', async () => {
    const slots = await readProviderSlots(
      settings({ 1: { ...github, client_secret: 'super-secret-value', advanced: '{"clientAuth":"client_secret_query"}' } }),
      REDIRECT,
    );
    expect(JSON.stringify(slots.problems)).not.toContain('super-secret-value');
    expect(slots.problems[0].settingId).toBe('provider1_advanced');
  });
});
