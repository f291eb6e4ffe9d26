// Where the engine's Deno subprocess comes from, and whether it can start at all.
//
// The engine spawns plain `deno` with an environment of only PATH and DENO_DIR
// (@rocket.chat/apps-engine/server/runtime/deno/AppsEngineDenoRuntime.js, spawnProcess), and runs it
// with `--cached-only`. Two things must therefore hold before an app is installed:
//   - a native deno binary is first on PATH. Not node_modules/.bin/deno: without deno's own install
//     script (npm runs it only when package.json's allowScripts names it) that is deno's bin.cjs, a Node
//     shim that runs the binary as its child; the engine's SIGKILL then kills the shim and leaves the
//     real deno running, holding the pipes open.
//   - tools/harness/setup-deno-runtime.mjs (`npm run setup:runtime`, which postinstall runs) has prepared deno-runtime/ and filled
//     DENO_DIR. Without it the subprocess dies at once, the engine restarts it forever
//     (LivenessManager.restartProcess) and Node never exits: fail fast here instead.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Written by tools/harness/setup-deno-runtime.mjs into DENO_DIR once the runtime started from its cache. */
const SETUP_STAMP = 'oauth-connector-runtime-setup.json';
const SETUP_HINT = 'run `npm ci` (its postinstall prepares it) or `npm run setup:runtime`';

export interface DenoRuntimeLocation {
  /** Directory holding the native deno executable; goes first on PATH. */
  binaryDir: string;
  /** The DENO_DIR the engine will use (its own rule: $DENO_DIR, else <engine>/.deno-cache). */
  denoDir: string;
}

function engineDir(): string {
  return dirname(require.resolve('@rocket.chat/apps-engine/package.json'));
}

function nativeDenoBinary(): string | undefined {
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const target = process.platform === 'linux' ? `linux-${process.arch}-glibc` : `${process.platform}-${process.arch}`;
  for (const pkg of ['deno', `@deno/${target}`]) {
    try {
      const candidate = join(dirname(require.resolve(`${pkg}/package.json`)), exe);
      if (existsSync(candidate)) {
        return candidate;
      }
    } catch {
      // that package is not installed on this platform
    }
  }
  return undefined;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Checks that the Deno runtime can start from its cache; throws with what to do otherwise. */
export function locateDenoRuntime(): DenoRuntimeLocation {
  const binary = nativeDenoBinary();
  if (!binary) {
    throw new Error(`No deno binary found in node_modules (packages deno / @deno/<platform>): ${SETUP_HINT}.`);
  }

  const engine = engineDir();
  const runtimeDir = join(engine, 'deno-runtime');
  const denoDir = process.env.DENO_DIR ?? join(engine, '.deno-cache');
  const stampFile = join(denoDir, SETUP_STAMP);
  if (!existsSync(stampFile)) {
    throw new Error(`The Apps-Engine Deno runtime is not prepared (no ${stampFile}): ${SETUP_HINT}.`);
  }

  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { configSha256?: string; lockSha256?: string; packages?: string[] };
  if (stamp.configSha256 !== sha256(join(runtimeDir, 'deno.jsonc')) || stamp.lockSha256 !== sha256(join(runtimeDir, 'deno.lock'))) {
    throw new Error(`The Apps-Engine Deno runtime changed since it was prepared (deno.jsonc / deno.lock): ${SETUP_HINT}.`);
  }
  const missing = (stamp.packages ?? []).filter((dir) => !existsSync(join(denoDir, dir)));
  if (!stamp.packages || missing.length > 0) {
    throw new Error(`The Deno cache ${denoDir} lacks the runtime's npm packages (${missing.join(', ') || 'no list'}): ${SETUP_HINT}.`);
  }

  return { binaryDir: dirname(binary), denoDir };
}

/** PATH with the native deno first; the engine hands the process PATH to its subprocess. */
export function pathWithDeno(location: DenoRuntimeLocation, currentPath = process.env.PATH ?? ''): string {
  const rest = currentPath.split(delimiter).filter((entry) => entry !== '' && entry !== location.binaryDir);
  return [location.binaryDir, ...rest].join(delimiter);
}
