/**
 * The zips the bench installs: the product zip exactly as `npm run package` writes it (its bytes and
 * its install are measured), the app with its bench command built from the same recipe, and the two
 * small bench apps (bench/apps/), bundled like the harness tests' fixtures. Only the product zip goes
 * to dist/; the others to a cache folder under node_modules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { buildSmallApp } from '../tools/package/small-app';

/** The bench apps' ids: fixed, so their endpoints' URLs are the same from run to run. */
export const BENCH_APP_IDS = {
  ours: '6f1d2b9e-3c4a-4e8b-9f2d-0a7c5e1b3d01',
  builtin: '6f1d2b9e-3c4a-4e8b-9f2d-0a7c5e1b3d02',
  baseline: '6f1d2b9e-3c4a-4e8b-9f2d-0a7c5e1b3d03',
} as const;

export interface BenchZips {
  /** dist/<nameSlug>_<version>.zip, as shipped. */
  product: { path: string; bytes: number; appId: string };
  /** The app plus `/oauth-bench`. */
  ours: string;
  /** The built-in OAuth2 client, as the Apps-Engine documentation's sample uses it. */
  builtin: string;
  /** A command and an endpoint that do nothing: the engine's own cost of a request. */
  baseline: string;
}

/** What bench/build-apps.ts needs of scripts/package.mjs (an ES module the bench loads as it is). */
interface PackageScript {
  packageApp(options: {
    projectDir: string;
    quiet: boolean;
    variant?: { manifest: Record<string, unknown>; zipPath: string };
  }): Promise<{ zipPath: string; zipBytes: number }>;
}

export async function buildBenchZips(projectDir: string): Promise<BenchZips> {
  const outDir = join(projectDir, 'node_modules', '.cache', 'oauth-bench', 'apps');
  // Loaded from where it lives: it finds the project from its own location (import.meta.url).
  const script = (await import(pathToFileURL(join(projectDir, 'scripts', 'package.mjs')).href)) as PackageScript;
  const product = await script.packageApp({ projectDir, quiet: true });
  const manifest = JSON.parse(readFileSync(join(projectDir, 'app.json'), 'utf8')) as { id: string };

  const ours = await script.packageApp({
    projectDir,
    quiet: true,
    variant: {
      manifest: {
        id: BENCH_APP_IDS.ours,
        name: 'OAuth Connector (bench build)',
        nameSlug: 'oauth-connector-bench',
        classFile: 'bench/apps/our-app-bench/OurAppBench.ts',
      },
      zipPath: join(outDir, 'oauth-connector-bench.zip'),
    },
  });
  const builtin = await buildBuiltinSample(outDir);
  const baseline = await buildEngineBaseline(outDir);
  return { product: { path: product.zipPath, bytes: product.zipBytes, appId: manifest.id }, ours: ours.zipPath, builtin, baseline };
}

const APPS_DIR = join(__dirname, 'apps');

/** The built-in OAuth2 client's sample app, zipped into `outDir`. */
export function buildBuiltinSample(outDir: string): Promise<string> {
  return buildSmallApp(
    join(APPS_DIR, 'builtin-sample', 'BuiltinSampleApp.ts'),
    {
      id: BENCH_APP_IDS.builtin,
      name: 'Built-in OAuth2 sample',
      nameSlug: 'builtin-oauth2-sample',
      classFile: 'BuiltinSampleApp.ts',
      description: "The Apps-Engine documentation's OAuth2 sample, for the bench",
      // What the built-in client and the sample use: its callback endpoint, its settings, its record, notices.
      permissions: ['slashcommand', 'api', 'persistence', 'networking', 'server-setting.read', 'user.read', 'message.write'].map((name) => ({ name })),
    },
    outDir,
  );
}

/** The app that does nothing, zipped into `outDir`. */
export function buildEngineBaseline(outDir: string): Promise<string> {
  return buildSmallApp(
    join(APPS_DIR, 'engine-baseline', 'EngineBaselineApp.ts'),
    {
      id: BENCH_APP_IDS.baseline,
      name: 'Engine baseline',
      nameSlug: 'engine-baseline',
      classFile: 'EngineBaselineApp.ts',
      description: 'A command and an endpoint that do nothing, for the bench',
      permissions: ['slashcommand', 'api', 'networking'].map((name) => ({ name })),
    },
    outDir,
  );
}
