/**
 * `npm start` failing visibly: what failed, and a non-zero exit; warning when it listens beyond
 * loopback; `npm start -- --verbose` printing the runtime's own entries without a secret in them; and
 * SIGTERM or Ctrl+C stopping every process it started. The runner is the real one
 * (scripts/start.mjs), as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { descendants, haveProc, processGroup, stillRunning } from './processes';

const PROJECT_DIR = resolve(__dirname, '..', '..');

function npmStart(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(PROJECT_DIR, 'scripts', 'start.mjs'), ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, NODE_ENV: 'development' },
    });
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
    // On loopback, no warning about the page having no login.
    expect(output).not.toContain('no login');
  });

  it("says the demo provider's port is in use and names --provider-port, and exits 1", async () => {
    const { code, output } = await npmStart(['--port', String(await freePort()), '--provider-port', String(port), '--memory']);
    expect(code).toBe(1);
    expect(output).toContain(
      `Starting the demo authorization server on port ${port} failed: Port ${port} on 127.0.0.1 is in use: stop what uses it, or choose another with --provider-port.`,
    );
  });

  it('warns that the chat page has no login when --host is beyond loopback', async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes first, then the failure to listen.
    const { code, output } = await npmStart(['--host', '192.0.2.1', '--port', String(await freePort()), '--memory']);
    expect(output).toContain(
      'Warning: --host 192.0.2.1 is reachable from other machines, and the chat page has no login: anyone who can reach it can act as any chat user',
    );
    expect(code).toBe(1);
    expect(output).toMatch(/Starting the chat page failed: .*EADDRNOTAVAIL/);
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

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

describe('npm start -- --verbose', () => {
  const appId = (JSON.parse(readFileSync(join(PROJECT_DIR, 'app.json'), 'utf8')) as { id: string }).id;
  let dataDir: string;
  let child: ReturnType<typeof spawn>;
  let output = '';
  let baseUrl: string;

  /** Resolves once the terminal shows `pattern`. */
  const printed = (pattern: RegExp, what: string) =>
    new Promise<void>((resolveSeen, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (pattern.test(output)) {
          clearInterval(poll);
          resolveSeen();
        } else if (child.exitCode !== null || Date.now() - started > 60_000) {
          clearInterval(poll);
          reject(new Error(`npm start never printed ${what}:\n${output}`));
        }
      }, 50);
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oauth-verbose-'));
    const [port, providerPort] = [await freePort(), await freePort()];
    child = spawn(
      process.execPath,
      [join(PROJECT_DIR, 'scripts', 'start.mjs'), '--verbose', '--port', String(port), '--provider-port', String(providerPort), '--data-dir', dataDir],
      {
        cwd: PROJECT_DIR,
        env: { ...process.env, NODE_ENV: 'development' },
      },
    );
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await printed(/is running: open http/, 'that it is running');
    baseUrl = `http://127.0.0.1:${port}/api/apps/public/${appId}`;
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the runtime entries of setting updates and endpoint requests with no secret in them', async () => {
    // The demo client secret the app was configured with (made on first start, kept in the data folder).
    const clientSecret = (JSON.parse(readFileSync(join(dataDir, 'demo-client.json'), 'utf8')) as { clientSecret: string }).clientSecret;
    const cookie = 'rc_session=cookie-value-7f3a91';
    const authorization = 'Bearer authorization-value-52c8e0';
    const params = {
      code: 'code-value-1b9d44',
      state: 'state-value-6e02fa',
      code_verifier: 'verifier-value-93aa17',
      access_token: 'access-value-0c71e5',
      refresh_token: 'refresh-value-d4b2c8',
      id_token: 'idtoken-value-8f16a3',
      client_secret: 'client-secret-value-27e9b1',
      token: 'token-value-e5d03c',
    };
    const headers = { cookie, authorization };
    await fetch(`${baseUrl}/connect?link=${'L'.repeat(43)}`, { headers, redirect: 'manual' });
    await fetch(`${baseUrl}/complete?${new URLSearchParams({ ...params, iss: 'https://issuer.test' })}`, { headers, redirect: 'manual' });
    await printed(/api:complete:get was successfully executed/, "the runtime's entry for the complete request");

    // The runtime's own debug entries are there, readable, with the secrets masked.
    expect(output).toMatch(/\[runtime\] debug app:onPreSettingUpdate .*"id":"provider1_client_secret","type":"password".*"value":"\[REDACTED\]"/);
    expect(output).toMatch(/\[runtime\] debug app:onPreSettingUpdate .*"id":"provider1_client_id".*"value":"oauth-connector-demo"/);
    const connectLine = output.split('\n').find((line) => line.includes("connect's api:connect:get is being executed"));
    expect(connectLine).toContain('"cookie":"[REDACTED]"');
    expect(connectLine).toContain('"authorization":"[REDACTED]"');
    expect(connectLine).toContain('"user-agent":');
    const completeLine = output.split('\n').find((line) => line.includes("complete's api:complete:get is being executed"));
    expect(completeLine).toContain('"code":"[REDACTED]","state":"[REDACTED]"');
    expect(completeLine).toContain('"iss":"https://issuer.test"');

    for (const value of [clientSecret, cookie, 'cookie-value-7f3a91', 'authorization-value-52c8e0', ...Object.values(params)]) {
      expect(output).not.toContain(value);
    }
  }, 60_000);
});

/**
 * `npm start` in a process group of its own, as a terminal runs it, with every process it starts
 * (seen while it runs: once it exits, an orphan would no longer be its descendant).
 */
function watchedStart(args: string[]) {
  const child = spawn(process.execPath, [join(PROJECT_DIR, 'scripts', 'start.mjs'), ...args], {
    cwd: PROJECT_DIR,
    env: { ...process.env, NODE_ENV: 'development' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = new Map<number, string>();
  const watch = setInterval(() => {
    for (const { pid, command } of descendants(child.pid!)) started.set(pid, command);
  }, 20);
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      clearInterval(watch);
      resolveExit(code);
    }),
  );
  /** Resolves once `condition` holds; fails after 60 s or if npm start exits first. */
  const until = (condition: () => boolean, what: string) =>
    new Promise<void>((resolveSeen, reject) => {
      const begun = Date.now();
      const poll = setInterval(() => {
        if (condition()) {
          clearInterval(poll);
          resolveSeen();
        } else if (child.exitCode !== null || Date.now() - begun > 60_000) {
          clearInterval(poll);
          reject(new Error(`npm start never got to ${what}:\n${output}`));
        }
      }, 20);
    });
  const runtimeStarted = () => [...started.values()].some((command) => /\bdeno\b/.test(command));
  return { child, output: () => output, started, exited, until, runtimeStarted };
}

/** Kills what a failed test left running: the whole process group. */
function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // nothing left
  }
}

(haveProc ? describe : describe.skip)('npm start stopped by a signal', () => {
  let current: ChildProcess | undefined;
  afterEach(() => killGroup(current));

  it('SIGTERM once running stops every process it started, the Deno runtime included, then exits 0', async () => {
    const run = watchedStart(['--port', String(await freePort()), '--provider-port', String(await freePort()), '--memory']);
    current = run.child;
    await run.until(() => /is running: open http/.test(run.output()), 'running');
    expect(run.runtimeStarted()).toBe(true);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('Stopping…');
    expect(stillRunning([...run.started.keys()])).toEqual([]);
    expect(processGroup(run.child.pid!)).toEqual([]);
  }, 90_000);

  it.each([
    ['SIGTERM to npm start alone', 'SIGTERM', false],
    ['Ctrl+C: SIGINT to its whole process group', 'SIGINT', true],
  ] as const)(
    '%s while it starts leaves no process behind',
    async (_what, signal, group) => {
      const run = watchedStart(['--port', String(await freePort()), '--provider-port', String(await freePort()), '--memory']);
      current = run.child;
      // As soon as the app's Deno subprocess exists: the install under way.
      await run.until(run.runtimeStarted, "starting the app's Deno runtime");

      process.kill(group ? -run.child.pid! : run.child.pid!, signal);
      expect(await run.exited).toBe(0);
      expect(run.output()).toMatch(/Stopped before it was running\.|Stopping…/);
      expect(stillRunning([...run.started.keys()])).toEqual([]);
      expect(processGroup(run.child.pid!)).toEqual([]);
    },
    90_000,
  );
});
