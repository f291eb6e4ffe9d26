/**
 * The settings snapshot (src/rocketchat/settings-snapshot.ts): how many reads of the engine's settings a
 * request costs, counted on a stand-in for the engine's environment reader (each read a bridge round
 * trip on the runtime).
 */
import type { IEnvironmentRead } from '@rocket.chat/apps-engine/definition/accessors';
import { SERVER_SETTINGS_TTL_MS, SettingsSnapshot } from '../../src/rocketchat/settings-snapshot';
import { settingDefinitions } from '../../src/rocketchat/settings';

function environment(values: Record<string, unknown>) {
  const reads = { app: 0, server: 0 };
  const env = {
    getSettings: () => ({
      getValueById: async (id: string) => {
        reads.app += 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
        return values[id];
      },
    }),
    getServerSettings: () => ({
      getValueById: async (id: string) => {
        reads.server += 1;
        return id === 'Site_Url' ? 'https://chat.example.com' : 'de';
      },
    }),
  } as unknown as IEnvironmentRead;
  return { env, reads, values };
}

describe('the settings snapshot', () => {
  const ids = settingDefinitions().map((setting) => setting.id);

  it('reads every app setting once for any number of concurrent requests, and not again until a setting changes', async () => {
    const { env, reads, values } = environment({ provider1_client_id: 'a' });
    const snapshot = new SettingsSnapshot();
    const all = await Promise.all(Array.from({ length: 20 }, () => snapshot.appValues(env)));
    expect(reads.app).toBe(ids.length);
    expect(all.every((map) => map.get('provider1_client_id') === 'a')).toBe(true);
    await snapshot.appValues(env);
    expect(reads.app).toBe(ids.length);

    values.provider1_client_id = 'b';
    snapshot.drop();
    expect((await snapshot.appValues(env)).get('provider1_client_id')).toBe('b');
    expect(reads.app).toBe(2 * ids.length);
  });

  it('does not keep a load that a setting change overtook', async () => {
    const { env, values } = environment({ provider1_client_id: 'old' });
    const snapshot = new SettingsSnapshot();
    const loading = snapshot.appValues(env);
    values.provider1_client_id = 'new';
    snapshot.drop();
    await loading;
    expect((await snapshot.appValues(env)).get('provider1_client_id')).toBe('new');
  });

  it('re-reads Site_Url and Language only after their time to live', async () => {
    let now = 0;
    const { env, reads } = environment({});
    const snapshot = new SettingsSnapshot(() => now);
    expect(await snapshot.serverValues(env)).toEqual({ siteUrl: 'https://chat.example.com', language: 'de' });
    await snapshot.serverValues(env);
    expect(reads.server).toBe(2);
    now += SERVER_SETTINGS_TTL_MS;
    await snapshot.serverValues(env);
    expect(reads.server).toBe(4);
  });
});
