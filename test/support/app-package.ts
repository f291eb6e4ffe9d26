/**
 * The app's zip, built the way `npm run package` builds it (the same script), once per test run;
 * and variants of it with another manifest, for permission tests.
 */
import AdmZip from 'adm-zip';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PROJECT_DIR = resolve(__dirname, '..', '..');
export const MANIFEST = JSON.parse(readFileSync(join(PROJECT_DIR, 'app.json'), 'utf8')) as {
  id: string;
  version: string;
  nameSlug: string;
  permissions: Array<{ name: string }>;
};
export const APP_ID = MANIFEST.id;

let built: string | undefined;

/** Runs `npm run package`'s script and returns the zip it wrote. */
export function packagedZip(): string {
  if (!built) {
    execFileSync(process.execPath, [join(PROJECT_DIR, 'scripts', 'package.mjs')], { cwd: PROJECT_DIR, stdio: 'pipe' });
    built = join(PROJECT_DIR, 'dist', `${MANIFEST.nameSlug}_${MANIFEST.version}.zip`);
  }
  return built;
}

/** A copy of the packaged zip whose app.json lacks the given permission. */
export function zipWithoutPermission(permission: string): string {
  const zip = new AdmZip(packagedZip());
  const manifest = JSON.parse(zip.readAsText('app.json'));
  manifest.permissions = manifest.permissions.filter((p: { name: string }) => p.name !== permission);
  zip.updateFile('app.json', Buffer.from(JSON.stringify(manifest)));
  const path = join(mkdtempSync(join(tmpdir(), 'oauth-app-')), `without-${permission}.zip`);
  zip.writeZip(path);
  return path;
}

/** Runs a command until the app answers it (after a restart of its runtime), or the deadline passes. */
export async function untilAnswered(run: () => Promise<unknown>, answered: () => boolean, deadlineMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    await run().catch(() => undefined);
    if (answered()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
