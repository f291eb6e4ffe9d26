/**
 * `npm start` failing visibly: what failed, and a non-zero exit. The runner is the real one
 * (scripts/start.mjs), as a child process.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

const PROJECT_DIR = resolve(__dirname, '..', '..');

function npmStart(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(PROJECT_DIR, 'scripts', 'start.mjs'), ...args], { cwd: PROJECT_DIR, env: { ...process.env, NODE_ENV: 'development' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolveRun({ code, output }));
  });
}

describe('npm start when it cannot start', () => {
  let occupied: Server;
  let port: number;

  beforeAll(async () => {
    occupied = createServer();
    port = await new Promise<number>((resolvePort) => occupied.listen(0, '127.0.0.1', () => resolvePort((occupied.address() as { port: number }).port)));
  });
  afterAll(() => new Promise<void>((done) => occupied.close(() => done())));

  it('says the port is in use and how to choose another, and exits 1', async () => {
    const { code, output } = await npmStart(['--port', String(port), '--memory']);
    expect(code).toBe(1);
    expect(output).toContain(`Port ${port} on 127.0.0.1 is in use: stop what uses it, or choose another with --port.`);
  });

  it('refuses an unknown flag with the usage, and exits 2', async () => {
    const { code, output } = await npmStart(['--frobnicate']);
    expect(code).toBe(2);
    expect(output).toContain('Unknown option --frobnicate.');
    expect(output).toContain('Usage: npm start');
  });

  it('says which settings file it cannot read', async () => {
    const { code, output } = await npmStart(['--settings', 'no-such-file.json', '--memory']);
    expect(code).toBe(2);
    expect(output).toContain('Cannot read the settings file no-such-file.json: no such file.');
  });
});
