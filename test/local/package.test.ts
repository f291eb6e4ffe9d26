/** `npm run package` writes the zip 0644 whatever the umask (adm-zip alone leaves it to the umask). */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PROJECT_DIR = resolve(__dirname, '..', '..');

(process.platform === 'win32' ? it.skip : it)(
  'writes dist/<slug>_<version>.zip with mode 0644 under umask 000, and leaves no temporary file',
  () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, 'app.json'), 'utf8')) as { nameSlug: string; version: string };
    // sh execs node: the packager's pid, which names its temporary file, is the child's.
    const packaging = spawnSync('/bin/sh', ['-c', 'umask 000 && exec "$0" scripts/package.mjs', process.execPath], { cwd: PROJECT_DIR, encoding: 'utf8' });
    expect(packaging.stderr).toBe('');
    expect(packaging.status).toBe(0);
    const zip = join(PROJECT_DIR, 'dist', `${manifest.nameSlug}_${manifest.version}.zip`);
    expect((statSync(zip).mode & 0o777).toString(8)).toBe('644');
    expect(readdirSync(join(PROJECT_DIR, 'dist')).filter((name) => name.includes(`.${packaging.pid}.`))).toEqual([]);
  },
  60_000,
);
