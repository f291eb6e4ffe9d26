/**
 * `npm run bench`: figures, not assertions (these machines are noisy); ratios compare runs made
 * side by side in this same process.
 *  1. the token getter's hot path (a valid token, read from the store);
 *  2. a burst of callers on an expired token: one refresh for all, against one refresh each;
 *  3. /oauth commands on the real Apps-Engine runtime (Deno): help, status, token.
 */
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { TokenGetter } from '../src/core/getter';
import { processLocalLease, type StoredConnection } from '../src/core/ports';
import type { TokenSet } from '../src/core/tokens';
import { AppsEngineHarness } from '../tools/harness';
import { MemoryTokenStore } from '../src/node/memory-stores';

// npm runs scripts from the project root; the compiled bench lives elsewhere (node_modules/.cache).
const root = process.cwd();

function tokens(lifetimeS: number, serial = 0): TokenSet {
  const now = Date.now();
  return {
    accessToken: `access-${serial}`,
    tokenType: 'Bearer',
    refreshToken: `refresh-${serial}`,
    obtainedAt: now,
    expiresAt: now + lifetimeS * 1000,
    scopes: [],
  };
}

function quantiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms (n=${samples.length})`;
}

async function getterHotPath(): Promise<void> {
  const store = new MemoryTokenStore();
  await store.put({ userId: 'u', providerId: 'p', tokens: tokens(3600), connectedAt: Date.now() });
  const getter = new TokenGetter({ tokens: store, clock: { now: Date.now }, lease: processLocalLease, refresh: async () => tokens(3600) });
  const n = 50_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) await getter.getAccessToken('u', 'p');
  const ms = performance.now() - start;
  console.log(`getter, valid token:         ${Math.round(n / (ms / 1000)).toLocaleString('en')} calls/s`);
}

async function burst(shared: boolean): Promise<{ refreshes: number; ms: number }> {
  const store = new MemoryTokenStore();
  await store.put({ userId: 'u', providerId: 'p', tokens: tokens(0), connectedAt: Date.now() });
  let refreshes = 0;
  const refresh = async (_c: StoredConnection) => {
    refreshes += 1;
    await new Promise((r) => setTimeout(r, 20)); // a token endpoint round trip
    return tokens(3600, refreshes);
  };
  const callers = 200;
  const start = performance.now();
  if (shared) {
    const getter = new TokenGetter({ tokens: store, clock: { now: Date.now }, lease: processLocalLease, refresh });
    await Promise.all(Array.from({ length: callers }, () => getter.getAccessToken('u', 'p')));
  } else {
    // What a client without single flight does: every caller refreshes on its own.
    await Promise.all(Array.from({ length: callers }, () => refresh({} as StoredConnection)));
  }
  return { refreshes, ms: performance.now() - start };
}

async function runtimeCommands(): Promise<void> {
  execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: 'ignore' });
  const manifest = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8'));
  const harness = await AppsEngineHarness.start();
  try {
    harness.addUser({ id: 'u', username: 'u', roles: ['user'] });
    harness.addRoom({ id: 'r', name: 'r', members: ['u'] });
    let start = performance.now();
    const { appId } = await harness.installZip(join(root, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`));
    console.log(`runtime, install + enable:   ${(performance.now() - start).toFixed(0)} ms`);
    for (const [id, value] of Object.entries({ provider1_preset: 'github', provider1_client_id: 'c', provider1_client_secret: 's', provider1_enabled: true })) {
      await harness.setSetting(appId, id, value);
    }
    const results: Record<string, number[]> = {};
    for (const sub of ['help', 'status', 'token']) {
      results[sub] = [];
      for (let i = 0; i < 60; i++) {
        start = performance.now();
        await harness.runCommand({ command: 'oauth', args: [sub], userId: 'u', roomId: 'r' });
        if (i >= 10) results[sub].push(performance.now() - start); // the first runs warm the JIT
        harness.clearMessages();
      }
      console.log(`runtime, /oauth ${sub.padEnd(7)}      ${quantiles(results[sub])}`);
    }
  } finally {
    await harness.stop();
  }
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${new Date().toISOString()}\n`);
  await getterHotPath();
  const naive = await burst(false);
  const shared = await burst(true);
  console.log(
    `burst of 200 callers, expired token: single flight ${shared.refreshes} refresh in ${shared.ms.toFixed(0)} ms; one each ${naive.refreshes} refreshes (${(naive.refreshes / shared.refreshes).toFixed(0)}x the token endpoint load)`,
  );
  await runtimeCommands();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
