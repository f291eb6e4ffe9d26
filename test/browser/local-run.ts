/**
 * Runs the real `npm start` (scripts/start.mjs) as a child process on free ports, with its own
 * data folder, and waits for it to print its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const PROJECT_DIR = resolve(__dirname, '..', '..');
export const OUTPUT_DIR = join(PROJECT_DIR, 'test-output', 'browser');

export interface LocalRun {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

export async function startLocalRun(args: { port: number; providerPort: number; dataDir: string; logName: string }): Promise<LocalRun> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const log = createWriteStream(join(OUTPUT_DIR, `${args.logName}.log`));
  const child = spawn(
    process.execPath,
    [join(PROJECT_DIR, 'scripts', 'start.mjs'), '--port', String(args.port), '--provider-port', String(args.providerPort), '--data-dir', args.dataDir],
    {
      cwd: PROJECT_DIR,
      env: { ...process.env, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = await new Promise<string>((resolveUrl, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 60 s:\n${seen}`)), 60_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /is running: open (http:\/\/\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before it was ready:\n${seen}`));
    });
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null) return resolveStop();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          log.end();
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
}
