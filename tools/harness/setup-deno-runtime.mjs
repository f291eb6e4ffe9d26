#!/usr/bin/env node
// Makes @rocket.chat/apps-engine's Deno runtime (node_modules/@rocket.chat/apps-engine/deno-runtime)
// runnable the way the engine starts it: `deno run --cached-only --config=<deno-runtime>/deno.jsonc …`
// (server/runtime/deno/AppsEngineDenoRuntime.js, spawnProcess). Runs as the project's `postinstall`,
// so it must work on a clean clone with only Node, npm and the npm registry (jsr.io is unreachable).
//
// What the shipped runtime lacks, and what this script does about it (each step checks before it acts):
//   1. deno.jsonc imports three jsr:@std modules -> local stand-ins (scripts/deno-std/*.ts), copied
//      into deno-runtime/local-std/ and mapped in the import map; their jsr pins leave deno.lock,
//      every npm pin stays as shipped (`deno install --frozen` then refuses any other change).
//   2. The import map sends `@rocket.chat/apps-engine/` to `../src/`, which the npm tarball does not
//      ship. Type imports vanish, but a value import (handleUploadEvents.ts -> AppsEngineException)
//      needs a real module: src/<X>.ts re-exporting the compiled <X>.js is generated for each one.
//   3. `--cached-only` needs the runtime's npm packages in DENO_DIR (default <engine>/.deno-cache)
//      before the first start, else the engine restarts deno forever: `deno install` fills it, with
//      DENO_NO_PACKAGE_JSON=1 (or deno adopts this project's package.json and rewrites node_modules)
//      and --config (deno ignores a deno.jsonc inside node_modules otherwise). A smoke start as the
//      engine does it proves the result, then a stamp in DENO_DIR marks the work done.
// Prints one line; on any problem prints the reason to stderr and exits non-zero.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = Date.now();
const require = createRequire(import.meta.url);
const projectDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const stdSourceDir = join(projectDir, 'scripts', 'deno-std');

/** jsr specifier in the import map -> our stand-in file (in scripts/deno-std/). */
const STD_STAND_INS = {
  '@std/cli/parse-args': 'parse_args.ts',
  '@std/io': 'write_all.ts',
  '@std/streams': 'to_array_buffer.ts',
};
/** Import-map keys the stand-ins replace (the shipped map has `@std/cli`, resolved by jsr's sub-paths). */
const JSR_KEYS = ['@std/cli', '@std/io', '@std/streams'];
const STAMP_FILE = 'oauth-connector-runtime-setup.json';
const ENGINE_PREFIX = '@rocket.chat/apps-engine/';

class SetupError extends Error {}

function fail(message) {
  throw new SetupError(message);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Writes `content` unless the file already holds exactly that; returns whether it wrote. */
function writeIfChanged(file, content) {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) {
    return false;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return true;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`cannot read ${file} as JSON: ${error.message}`);
  }
}

const toJson = (value, indent) => `${JSON.stringify(value, null, indent)}\n`;

function locateEngine() {
  let pkgFile;
  try {
    pkgFile = require.resolve('@rocket.chat/apps-engine/package.json');
  } catch {
    fail('@rocket.chat/apps-engine is not installed: run `npm ci` first');
  }
  const engineDir = dirname(pkgFile);
  const runtimeDir = join(engineDir, 'deno-runtime');
  if (!existsSync(join(runtimeDir, 'main.ts'))) {
    fail(`${runtimeDir}/main.ts is missing: this engine version has no Deno runtime (the project pins 1.62.0)`);
  }
  // The engine's own default (AppsEngineDenoRuntime.js): DENO_DIR from the environment, else <engine>/.deno-cache.
  const denoDir = process.env.DENO_DIR ?? join(engineDir, '.deno-cache');
  return { engineDir, runtimeDir, denoDir, version: readJson(pkgFile).version };
}

/**
 * The native deno binary. Not node_modules/.bin/deno: without deno's own install script (npm here runs
 * it only when package.json's allowScripts names it) that is bin.cjs, a Node shim.
 */
function locateDeno() {
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const target = process.platform === 'linux' ? `linux-${process.arch}-glibc` : `${process.platform}-${process.arch}`;
  const candidates = [];
  for (const pkg of ['deno', `@deno/${target}`]) {
    try {
      candidates.push(join(dirname(require.resolve(`${pkg}/package.json`)), exe));
    } catch {
      // not installed for this platform: try the next one
    }
  }
  const binary = candidates.find((file) => existsSync(file));
  if (!binary) {
    fail(`no deno binary found (looked in: ${candidates.join(', ') || `deno, @deno/${target}`}): run \`npm ci\``);
  }
  let version;
  try {
    version = readJson(require.resolve('deno/package.json')).version;
  } catch {
    version = 'unknown';
  }
  return { binary, version };
}

// Step 1 ---------------------------------------------------------------------------------------------

function installStdStandIns(runtimeDir) {
  let changed = 0;
  for (const file of Object.values(STD_STAND_INS)) {
    const source = join(stdSourceDir, file);
    if (!existsSync(source)) {
      fail(`${source} is missing`);
    }
    changed += writeIfChanged(join(runtimeDir, 'local-std', file), readFileSync(source, 'utf8')) ? 1 : 0;
  }

  const configFile = join(runtimeDir, 'deno.jsonc');
  const config = readJson(configFile); // the shipped deno.jsonc has no comments
  const imports = { ...config.imports };
  for (const key of JSR_KEYS) {
    delete imports[key];
  }
  for (const [specifier, file] of Object.entries(STD_STAND_INS)) {
    imports[specifier] = `./local-std/${file}`;
  }
  const leftover = Object.entries(imports).filter(([, target]) => String(target).startsWith('jsr:'));
  if (leftover.length > 0) {
    fail(`deno.jsonc still imports from jsr: ${leftover.map(([key]) => key).join(', ')} (unknown engine layout)`);
  }
  changed += writeIfChanged(configFile, toJson({ ...config, imports }, '\t')) ? 1 : 0;

  // The jsr pins go with the jsr imports; nothing else in the lock changes.
  const lockFile = join(runtimeDir, 'deno.lock');
  const lock = readJson(lockFile);
  const specifiers = Object.fromEntries(Object.entries(lock.specifiers ?? {}).filter(([key]) => !key.startsWith('jsr:')));
  const pruned = { ...lock, specifiers };
  delete pruned.jsr;
  if (pruned.workspace?.dependencies) {
    pruned.workspace = { ...pruned.workspace, dependencies: pruned.workspace.dependencies.filter((dep) => !dep.startsWith('jsr:')) };
  }
  changed += writeIfChanged(lockFile, toJson(pruned, 2)) ? 1 : 0;
  return changed;
}

// Step 2 ---------------------------------------------------------------------------------------------

function runtimeSources(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'tests' && entry.name !== 'local-std') {
        files.push(...runtimeSources(full));
      }
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) {
      files.push(full);
    }
  }
  return files;
}

/** Engine specifiers the runtime imports as values (`import type` is erased and needs no file). */
function engineValueImports(runtimeDir) {
  const found = new Set();
  const pattern = /^\s*(import|export)\s+(?!type\b)([^;]*?)\s+from\s+['"]([^'"]+)['"]/gms;
  for (const file of runtimeSources(runtimeDir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (match[3].startsWith(ENGINE_PREFIX)) {
        found.add(match[3].slice(ENGINE_PREFIX.length));
      }
    }
  }
  return [...found].sort();
}

function generateEngineReExports(engineDir, runtimeDir) {
  let changed = 0;
  const specifiers = engineValueImports(runtimeDir);
  for (const specifier of specifiers) {
    if (!specifier.endsWith('.ts')) {
      fail(`deno-runtime imports "${ENGINE_PREFIX}${specifier}" as a value, without a .ts file name: no re-export can stand for it`);
    }
    const compiled = join(engineDir, specifier.replace(/\.ts$/, '.js'));
    if (!existsSync(compiled)) {
      fail(`deno-runtime imports "${ENGINE_PREFIX}${specifier}" but ${compiled} does not exist`);
    }
    const names = Object.keys(require(compiled)).filter((name) => name !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(name));
    const target = join(engineDir, 'src', specifier);
    const fromTarget = relative(dirname(target), compiled).split(sep).join('/');
    const content = [
      '// Generated by tools/harness/setup-deno-runtime.mjs (oauth-connector). The import map sends',
      `// "${ENGINE_PREFIX}" to "../src/", which the npm package does not ship: re-export the compiled module.`,
      "import { createRequire } from 'node:module';",
      '',
      `const compiled = createRequire(import.meta.url)('${fromTarget.startsWith('.') ? fromTarget : `./${fromTarget}`}');`,
      '',
      ...names.map((name) => `export const ${name} = compiled.${name};`),
      '',
    ].join('\n');
    changed += writeIfChanged(target, content) ? 1 : 0;
  }
  return { changed, count: specifiers.length };
}

// Step 3 ---------------------------------------------------------------------------------------------

function fingerprint(engine, deno) {
  const parts = [engine.version, deno.version, readFileSync(join(engine.runtimeDir, 'deno.jsonc')), readFileSync(join(engine.runtimeDir, 'deno.lock'))];
  return sha256(Buffer.concat(parts.map((part) => Buffer.from(part))));
}

/**
 * The runtime's npm packages as cached in DENO_DIR (npm/<registry host>/<name>/<version>), relative to
 * DENO_DIR; fails when one the lock pins is missing.
 */
function cachedPackages(engine) {
  const lock = readJson(join(engine.runtimeDir, 'deno.lock'));
  const npmDir = join(engine.denoDir, 'npm');
  const hosts = existsSync(npmDir) ? readdirSync(npmDir) : [];
  return Object.keys(lock.npm ?? {}).map((key) => {
    const pinned = key.split('_')[0]; // "<name>@<version>", minus deno's peer-dependency suffix
    const at = pinned.lastIndexOf('@');
    const [name, version] = [pinned.slice(0, at), pinned.slice(at + 1)];
    const host = hosts.find((candidate) => existsSync(join(npmDir, candidate, name, version, 'package.json')));
    return host ? join('npm', host, name, version) : fail(`deno install left ${name}@${version} out of ${npmDir}`);
  });
}

function denoInstall(engine, deno) {
  const result = spawnSync(deno.binary, ['install', '--frozen', '--config', 'deno.jsonc', '--entrypoint', 'main.ts'], {
    cwd: engine.runtimeDir,
    env: { ...process.env, DENO_DIR: engine.denoDir, DENO_NO_PACKAGE_JSON: '1', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    fail(`\`deno install\` failed in ${engine.runtimeDir} (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
}

/** Starts main.ts exactly as the engine does and waits for its msgpack `ready` notification. */
function smokeStart(engine, deno) {
  const tempDir = mkdtempSync(join(tmpdir(), 'deno-runtime-check-'));
  // The engine runs main.ts through a symlink in its temp dir: deno refuses scripts inside node_modules.
  symlinkSync(engine.runtimeDir, join(tempDir, 'deno-runtime'), 'dir');
  const args = [
    'run',
    '--cached-only',
    `--config=${join(engine.runtimeDir, 'deno.jsonc')}`,
    `--allow-read=${[engine.engineDir, dirname(dirname(engine.engineDir)), tempDir].join(',')}`,
    '--allow-env=NODE_EXTRA_CA_CERTS',
    join(tempDir, 'deno-runtime', 'main.ts'),
    '--subprocess',
    'setup-check',
    '--spawnId',
    '0',
  ];
  const child = spawn(deno.binary, args, { env: { PATH: process.env.PATH ?? '', DENO_DIR: engine.denoDir }, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const finish = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rmSync(tempDir, { recursive: true, force: true });
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const timer = setTimeout(() => finish(new SetupError(`the runtime did not report ready within 20 s:\n${stderr.trim()}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString('latin1');
      if (stdout.includes('ready')) {
        finish();
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => finish(new SetupError(`cannot start ${deno.binary}: ${error.message}`)));
    child.on('exit', (code) => finish(new SetupError(`the runtime exited (code ${code}) before reporting ready:\n${stderr.trim()}`)));
  });
}

async function main() {
  const engine = locateEngine();
  const deno = locateDeno();

  const configChanges = installStdStandIns(engine.runtimeDir);
  const reExports = generateEngineReExports(engine.engineDir, engine.runtimeDir);

  const stampFile = join(engine.denoDir, STAMP_FILE);
  const expected = fingerprint(engine, deno);
  const stamp = existsSync(stampFile) ? readJson(stampFile) : undefined;
  const cacheIntact = Array.isArray(stamp?.packages) && stamp.packages.every((dir) => existsSync(join(engine.denoDir, dir)));
  if (stamp?.fingerprint === expected && cacheIntact && configChanges + reExports.changed === 0) {
    console.log(`deno-runtime: already set up (${Date.now() - started} ms)`);
    return;
  }

  denoInstall(engine, deno);
  const packages = cachedPackages(engine);
  await smokeStart(engine, deno);
  mkdirSync(engine.denoDir, { recursive: true });
  writeFileSync(
    stampFile,
    toJson(
      {
        fingerprint: expected,
        engine: engine.version,
        deno: deno.version,
        // What the harness (tools/harness) compares before it lets the engine start deno.
        configSha256: sha256(readFileSync(join(engine.runtimeDir, 'deno.jsonc'))),
        lockSha256: sha256(readFileSync(join(engine.runtimeDir, 'deno.lock'))),
        packages,
      },
      2,
    ),
  );
  console.log(
    `deno-runtime: set up in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(${Object.keys(STD_STAND_INS).length} @std stand-ins, ${reExports.count} engine re-export(s), ${packages.length} npm packages cached in ${relative(projectDir, engine.denoDir) || engine.denoDir}, runtime start checked)`,
  );
}

// Run by `npm run setup:runtime`, and by npm's postinstall with --postinstall: there a failure
// must not fail the whole install (the app still builds and packages without the runtime), so it
// says what cannot work yet and how to retry, and exits 0. The harness refuses to start on an
// unprepared runtime with the same hint, so tests and npm start fail clearly rather than hang.
const fromPostinstall = process.argv.includes('--postinstall');
main().catch((error) => {
  console.error(`setup-deno-runtime: ${error instanceof SetupError ? error.message : error.stack}`);
  if (!fromPostinstall) process.exit(1);
  console.error(
    'setup-deno-runtime: the Apps-Engine runtime could not be prepared, so the runtime tests and `npm start` cannot run yet ' +
      '(`npm run package` and the unit tests can). Fix the problem above, then run `npm run setup:runtime`.',
  );
});
