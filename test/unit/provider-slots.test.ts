import { readProviderSlots, registryOf } from '../../src/rocketchat/provider-slots';
import { slotSettingId, type SlotField } from '../../src/rocketchat/settings';

const REDIRECT = 'https://chat.example.com/api/apps/public/app-1/complete';

/** Setting values as an admin typed them, slot by slot. */
function settings(slots: Record<number, Partial<Record<SlotField, unknown>>>) {
  const values = new Map<string, unknown>();
  for (const [slot, fields] of Object.entries(slots)) for (const [field, value] of Object.entries(fields)) values.set(slotSettingId(Number(slot), field as SlotField), value);
  return async (id: string) => values.get(id);
}

const github = { enabled: true, preset: 'github', client_id: 'gh-id', client_secret: 'gh-secret' };

describe('provider slots', () => {
  it('serves each enabled, valid slot under the name users type, with the shared redirect URI', async () => {
    const slots = await readProviderSlots(settings({ 1: github, 2: { enabled: true, preset: 'gitlab', id: 'work-gitlab', client_id: 'gl', client_secret: 's', site: 'https://git.example.com/' }, 3: { ...github, enabled: false } }), REDIRECT);
    expect(slots.problems).toEqual([]);
    expect(slots.providers.map((p) => [p.slot, p.definition.id, p.definition.endpoints.token])).toEqual([
      [1, 'github', 'https://github.com/login/oauth/access_token'],
      [2, 'work-gitlab', 'https://git.example.com/oauth/token'],
    ]);
    const entry = await registryOf(slots).get('work-gitlab');
    expect(entry?.client).toEqual({ clientId: 'gl', clientSecret: 's', redirectUri: REDIRECT });
  });

  it.each<[string, Partial<Record<SlotField, unknown>>, SlotField, string]>([
    ['no client id', { ...github, client_id: ' ' }, 'client_id', 'problem_required'],
    ['no client secret for a confidential client', { ...github, client_secret: '' }, 'client_secret', 'problem_required'],
    ['an unknown preset', { ...github, preset: 'myspace' }, 'preset', 'problem_unknown_preset'],
    ['advanced settings that are not JSON', { ...github, advanced: '{endpoints:' }, 'advanced', 'problem_json'],
    ['advanced settings with a plain-http token URL', { ...github, advanced: '{"endpoints":{"token":"http://x.example.com/t"}}' }, 'advanced', 'problem_invalid'],
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

  it('never puts the client secret in a problem', async () => {
    const slots = await readProviderSlots(settings({ 1: { ...github, client_secret: 'super-secret-value', advanced: '{"clientAuth":"client_secret_query"}' } }), REDIRECT);
    expect(JSON.stringify(slots.problems)).not.toContain('super-secret-value');
    expect(slots.problems[0].settingId).toBe('provider1_advanced');
  });
});
