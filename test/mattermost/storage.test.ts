/**
 * The Mattermost service's storage (src/mattermost/storage). One contract, run against
 *  - SQLite: a temporary file, each "instance" its own connection to it;
 *  - PostgreSQL: a schema of its own in OAUTH_TEST_POSTGRES_URL's database, each instance its own
 *    pool (tools/postgres/start-test-postgres.sh starts a server and prints such a URL; .ci/run does);
 *  - the in-memory stores (src/node/memory-stores.ts), each instance sharing the same objects: the
 *    semantics the app's other tests already rely on, so the databases are shown to mean the same.
 * Then what only a database has: migrations, damaged rows, the sweep, the files.
 *
 * Without OAUTH_TEST_POSTGRES_URL the PostgreSQL part is skipped, and says so; under CI it fails
 * instead: CI never skips it.
 */
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MemoryResponseUrls } from '../../src/mattermost/platform';
import { MAX_LINKS_PER_PROVIDER, type ConnectLink } from '../../src/app/connect-links';
import { OAuthError } from '../../src/core/errors';
import { TokenGetter } from '../../src/core/getter';
import type { Clock, PendingAuthorization, StoredConnection } from '../../src/core/ports';
import { SealedTokenStore } from '../../src/core/sealed-stores';
import { newSealingKey, parseKeyRing } from '../../src/core/sealing';
import { openStorage, type ServiceStorage, type StorageLogger } from '../../src/mattermost/storage';
import { SCHEMA_VERSION } from '../../src/mattermost/storage/migrations';
import { SWEEP_INTERVAL_MS } from '../../src/mattermost/storage/sweep';
import { MemoryConnectLinks, MemoryLease, MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';
import { createScratchSchema } from '../../tools/postgres/scratch-schema';
import { rejectionOf } from '../support/oauth-error';
import { testPostgresUrl } from '../support/test-postgres';

const POSTGRES_URL = testPostgresUrl('the storage contract on PostgreSQL');

/** The service's clock, which a test can move forward; it starts at the real time (the PostgreSQL lease uses the database's). */
interface TestClock extends Clock {
  advance(ms: number): void;
}

function testClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

/** Direct access to a database's rows, for what the ports cannot show. */
interface RawAccess {
  schemaVersions(): Promise<number[]>;
  setSchemaVersion(version: number): Promise<void>;
  tokenRecordText(userId: string, providerId: string): Promise<string | undefined>;
  damageToken(userId: string, providerId: string, json: string): Promise<void>;
  damagePending(state: string, json: string): Promise<void>;
  linkIds(): Promise<string[]>;
  /** A link row as version 1 of the schema wrote it: no person columns. */
  insertLinkOfVersion1(linkId: string, link: ConnectLink): Promise<void>;
}

interface TestDatabase {
  clock: TestClock;
  /** Another instance of the service on this database. */
  open(options?: { logger?: StorageLogger }): Promise<ServiceStorage>;
  raw?: RawAccess;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  create(): Promise<TestDatabase>;
}

const sqliteBackend: Backend = {
  name: 'SQLite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-storage-'));
    const path = join(dir, 'oauth.sqlite');
    const clock = testClock();
    const opened: ServiceStorage[] = [];
    let direct: Database.Database | undefined;
    const db = () => {
      direct ??= new Database(path);
      direct.pragma('busy_timeout = 5000');
      return direct;
    };
    return {
      clock,
      async open(options = {}) {
        const storage = await openStorage({ sqlitePath: path, clock, ...options });
        opened.push(storage);
        return storage;
      },
      raw: {
        async schemaVersions() {
          return (db().prepare('SELECT version FROM schema_version ORDER BY version').all() as Array<{ version: number }>).map((row) => row.version);
        },
        async setSchemaVersion(version) {
          db().prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', 0)").run(version);
        },
        async tokenRecordText(userId, providerId) {
          const row = db().prepare('SELECT record FROM tokens WHERE user_id = ? AND provider_id = ?').get(userId, providerId) as { record: string } | undefined;
          return row?.record;
        },
        async damageToken(userId, providerId, json) {
          db().prepare('UPDATE tokens SET record = ? WHERE user_id = ? AND provider_id = ?').run(json, userId, providerId);
        },
        async damagePending(state, json) {
          db().prepare('UPDATE pending_states SET record = ? WHERE state = ?').run(json, state);
        },
        async linkIds() {
          return (db().prepare('SELECT link_id FROM connect_links ORDER BY seq').all() as Array<{ link_id: string }>).map((row) => row.link_id);
        },
        async insertLinkOfVersion1(linkId, link) {
          db()
            .prepare('INSERT INTO connect_links (link_id, user_id, provider_id, room_id, expires_at) VALUES (?, ?, ?, ?, ?)')
            .run(linkId, link.userId, link.providerId, link.roomId, link.expiresAt);
        },
      },
      async dispose() {
        await Promise.all(opened.map((storage) => storage.close()));
        direct?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgresBackend(baseUrl: string): Backend {
  return {
    name: 'PostgreSQL',
    async create() {
      const schema = await createScratchSchema(baseUrl);
      const clock = testClock();
      const opened: ServiceStorage[] = [];
      return {
        clock,
        async open(options = {}) {
          const storage = await openStorage({ databaseUrl: schema.url, sqlitePath: '/nonexistent/never-used.sqlite', clock, maxConnections: 10, ...options });
          opened.push(storage);
          return storage;
        },
        raw: {
          async schemaVersions() {
            return (await schema.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version')).map((row) => row.version);
          },
          async setSchemaVersion(version) {
            await schema.query("INSERT INTO schema_version (version, description) VALUES ($1, 'from the future')", [version]);
          },
          async tokenRecordText(userId, providerId) {
            const rows = await schema.query<{ record: string }>('SELECT record FROM tokens WHERE user_id = $1 AND provider_id = $2', [userId, providerId]);
            return rows[0]?.record;
          },
          async damageToken(userId, providerId, json) {
            await schema.query('UPDATE tokens SET record = $1 WHERE user_id = $2 AND provider_id = $3', [json, userId, providerId]);
          },
          async damagePending(state, json) {
            await schema.query('UPDATE pending_states SET record = $1 WHERE state = $2', [json, state]);
          },
          async linkIds() {
            return (await schema.query<{ link_id: string }>('SELECT link_id FROM connect_links ORDER BY seq')).map((row) => row.link_id);
          },
          async insertLinkOfVersion1(linkId, link) {
            await schema.query('INSERT INTO connect_links (link_id, user_id, provider_id, room_id, expires_at) VALUES ($1, $2, $3, $4, $5)', [
              linkId,
              link.userId,
              link.providerId,
              link.roomId,
              link.expiresAt,
            ]);
          },
        },
        async dispose() {
          await Promise.all(opened.map((storage) => storage.close()));
          await schema.drop();
        },
      };
    },
  };
}

/** The in-memory stores, every "instance" sharing them, as one process's stores are shared. */
const memoryBackend: Backend = {
  name: 'memory',
  async create() {
    const clock = testClock();
    const shared = {
      tokens: new MemoryTokenStore(),
      states: new MemoryStateStore(),
      links: new MemoryConnectLinks(() => clock.now()),
      lease: new MemoryLease(() => clock.now()),
      responseUrls: new MemoryResponseUrls(clock),
    };
    return {
      clock,
      async open() {
        return { kind: 'sqlite', ...shared, close: async () => {} };
      },
      async dispose() {},
    };
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pendingOf(state: string, clock: Clock, extra: Partial<PendingAuthorization> = {}): PendingAuthorization {
  return {
    state,
    userId: 'u-alice',
    providerId: 'github',
    codeVerifier: 'sealed:k1:aaaa:bbbb',
    redirectUri: 'https://oauth.example/complete',
    scopes: ['read:user', 'repo'],
    expiresAt: clock.now() + 10 * 60_000,
    browserBinding: 'binding-of-the-browser',
    ...extra,
  };
}

function linkOf(clock: Clock, extra: Partial<ConnectLink> = {}): ConnectLink {
  return { userId: 'u-alice', providerId: 'github', roomId: 'channel-1', expiresAt: clock.now() + 10 * 60_000, ...extra };
}

function connectionOf(clock: Clock, extra: Partial<StoredConnection> = {}): StoredConnection {
  return {
    userId: 'u-alice',
    providerId: 'github',
    accountName: 'alice',
    connectedAt: clock.now() - 1000,
    tokens: {
      accessToken: 'sealed:k1:iv:access',
      tokenType: 'bearer',
      refreshToken: 'sealed:k1:iv:refresh',
      expiresAt: clock.now() + 3600_000,
      obtainedAt: clock.now() - 1000,
      scopes: ['read:user'],
      requestedScopes: ['read:user', 'repo'],
    },
    ...extra,
  };
}

const backends: Backend[] = [sqliteBackend, memoryBackend, ...(POSTGRES_URL ? [postgresBackend(POSTGRES_URL)] : [])];

describe.each(backends)('the storage contract on $name', (backend) => {
  let db: TestDatabase;
  let a: ServiceStorage;
  let b: ServiceStorage;

  beforeEach(async () => {
    db = await backend.create();
    [a, b] = [await db.open(), await db.open()];
  });
  afterEach(() => db.dispose());

  describe('tokens', () => {
    it('keeps one connection per user and provider, as given, until deleted', async () => {
      const alice = connectionOf(db.clock);
      expect(await a.tokens.get('u-alice', 'github')).toBeUndefined();
      await a.tokens.put(alice);
      await a.tokens.put(connectionOf(db.clock, { providerId: 'gitlab', accountName: 'alice@gitlab' }));
      await a.tokens.put(connectionOf(db.clock, { userId: 'u-bob', accountName: 'bob' }));
      // Sealed strings come back exactly as they went in: the sealing decorator opens them, not the store.
      expect(await b.tokens.get('u-alice', 'github')).toEqual(alice);
      expect((await b.tokens.get('u-alice', 'gitlab'))?.accountName).toBe('alice@gitlab');
      expect((await b.tokens.get('u-bob', 'github'))?.accountName).toBe('bob');

      const refreshed = connectionOf(db.clock, { tokens: { ...alice.tokens, accessToken: 'sealed:k1:iv:access2' } });
      await b.tokens.put(refreshed);
      expect(await a.tokens.get('u-alice', 'github')).toEqual(refreshed);

      await a.tokens.delete('u-alice', 'github');
      expect(await b.tokens.get('u-alice', 'github')).toBeUndefined();
      expect(await b.tokens.get('u-alice', 'gitlab')).toBeDefined();
    });

    it('keeps a lost connection with its wiped tokens', async () => {
      const now = db.clock.now();
      const lost = connectionOf(db.clock, {
        tokens: { accessToken: '', tokenType: 'bearer', scopes: ['read:user'], obtainedAt: now - 5000, expiresAt: now },
        lost: { at: now, reason: 'grant_rejected' },
      });
      await a.tokens.put(lost);
      expect(await b.tokens.get('u-alice', 'github')).toEqual(lost);
    });
  });

  describe('pending authorizations', () => {
    it('are taken once: a second take finds nothing', async () => {
      const pending = pendingOf('state-1', db.clock, { context: { roomId: 'channel-1', linkId: 'link-1' } });
      await a.states.put(pending);
      expect(await b.states.take('state-1')).toEqual(pending);
      expect(await a.states.take('state-1')).toBeUndefined();
      expect(await b.states.take('never-put')).toBeUndefined();
    });

    it('are taken once under concurrency: 50 takes of one state from two instances answer one record', async () => {
      for (let round = 0; round < 5; round += 1) {
        await a.states.put(pendingOf(`state-${round}`, db.clock));
        const takes = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).states.take(`state-${round}`)));
        expect(takes.filter((taken) => taken !== undefined)).toHaveLength(1);
      }
    });

    it('are one per link: a link’s new state replaces its earlier one, cancelLink removes it', async () => {
      await a.states.put(pendingOf('first', db.clock, { context: { linkId: 'link-1' } }));
      await b.states.put(pendingOf('second', db.clock, { context: { linkId: 'link-1' } }));
      await a.states.put(pendingOf('other-link', db.clock, { context: { linkId: 'link-2' } }));
      await a.states.put(pendingOf('no-link', db.clock));
      expect(await a.states.take('first')).toBeUndefined();

      await b.states.cancelLink('link-2');
      expect(await a.states.take('other-link')).toBeUndefined();
      expect((await a.states.take('second'))?.state).toBe('second');
      expect((await a.states.take('no-link'))?.state).toBe('no-link');
    });

    it('stay one per link when two instances put for one link at once', async () => {
      const states = Array.from({ length: 10 }, (_, i) => `racing-${i}`);
      await Promise.all(states.map((state, i) => (i % 2 ? a : b).states.put(pendingOf(state, db.clock, { context: { linkId: 'link-1' } }))));
      const taken = await Promise.all(states.map((state) => a.states.take(state)));
      expect(taken.filter((record) => record !== undefined)).toHaveLength(1);
    });

    it('answer an expired state once, so the core can say it expired rather than unknown', async () => {
      await a.states.put(pendingOf('old', db.clock, { expiresAt: db.clock.now() + 1000 }));
      db.clock.advance(2000);
      expect((await b.states.take('old'))?.expiresAt).toBeLessThan(db.clock.now());
      expect(await b.states.take('old')).toBeUndefined();
    });
  });

  describe('connect links', () => {
    it(`keep at most ${MAX_LINKS_PER_PROVIDER} per user and provider, dropping the oldest and answering their ids`, async () => {
      const ids = ['l1', 'l2', 'l3', 'l4', 'l5'];
      const dropped: string[][] = [];
      for (const [i, id] of ids.entries()) dropped.push(await (i % 2 ? a : b).links.create(id, linkOf(db.clock)));
      expect(dropped).toEqual([[], [], [], ['l1'], ['l2']]);
      expect(await a.links.peek('l1')).toBeUndefined();
      expect(await a.links.peek('l2')).toBeUndefined();
      for (const id of ['l3', 'l4', 'l5']) expect(await a.links.peek(id)).toEqual(linkOf(db.clock, { expiresAt: expect.any(Number) }));
      // Another provider, another user: their own allowance.
      expect(await a.links.create('gl', linkOf(db.clock, { providerId: 'gitlab' }))).toEqual([]);
      expect(await a.links.create('bob', linkOf(db.clock, { userId: 'u-bob' }))).toEqual([]);
    });

    it(`keep at most ${MAX_LINKS_PER_PROVIDER} when two instances create at once`, async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
      const dropped = (await Promise.all(ids.map((id, i) => (i % 2 ? a : b).links.create(id, linkOf(db.clock))))).flat();
      const live = (await Promise.all(ids.map(async (id) => ((await a.links.peek(id)) ? id : undefined)))).filter(Boolean);
      expect(live).toHaveLength(MAX_LINKS_PER_PROVIDER);
      expect(new Set(dropped).size).toBe(ids.length - MAX_LINKS_PER_PROVIDER);
      expect(new Set([...dropped, ...live])).toEqual(new Set(ids));
    });

    it('keep the person a link was made for, through a claim, and none for a link made without', async () => {
      const person = { displayName: 'Ada Lovelace (@ada)', language: 'ja' };
      const named = linkOf(db.clock, { person });
      await a.links.create('named', named);
      expect(await b.links.peek('named')).toEqual(named);
      expect(await b.links.claim('named', named, 'browser-1')).toBe(true);
      expect(await a.links.take('named')).toEqual({ ...named, browserBinding: 'browser-1' });
      await a.links.create('anonymous', linkOf(db.clock, { userId: 'u-bob' }));
      expect(await b.links.peek('anonymous')).not.toHaveProperty('person');
    });

    it('are read as stored, bound by a claim, and taken once', async () => {
      const link = linkOf(db.clock);
      await a.links.create('link-1', link);
      expect(await b.links.peek('link-1')).toEqual(link);
      expect(await b.links.claim('link-1', link, 'browser-1')).toBe(true);
      // A second browser pressing Continue on another instance: the first claim holds.
      expect(await a.links.claim('link-1', link, 'browser-2')).toBe(false);
      expect(await a.links.peek('link-1')).toEqual({ ...link, browserBinding: 'browser-1' });
      expect(await a.links.take('link-1')).toEqual({ ...link, browserBinding: 'browser-1' });
      expect(await b.links.take('link-1')).toBeUndefined();
      expect(await b.links.peek('link-1')).toBeUndefined();
    });

    it('read as absent once expired', async () => {
      await a.links.create('short', linkOf(db.clock, { expiresAt: db.clock.now() + 1000 }));
      await a.links.create('long', linkOf(db.clock));
      db.clock.advance(2000);
      expect(await b.links.peek('short')).toBeUndefined();
      expect(await b.links.take('short')).toBeUndefined();
      expect(await b.links.peek('long')).toBeDefined();
    });
  });

  describe('command response URLs', () => {
    it("give each user's latest one in a channel, to every instance, until it expires", async () => {
      const [user, channel] = ['u'.repeat(26), 'c'.repeat(26)];
      await a.responseUrls.remember(user, channel, 'https://chat.example/hooks/commands/first', db.clock.now() + 1000);
      await a.responseUrls.remember(user, channel, 'https://chat.example/hooks/commands/second', db.clock.now() + 1000);
      await a.responseUrls.remember('v'.repeat(26), channel, 'https://chat.example/hooks/commands/other', db.clock.now() + 5000);
      expect(await b.responseUrls.latest(user, channel)).toBe('https://chat.example/hooks/commands/second');
      expect(await b.responseUrls.latest(user, 'd'.repeat(26))).toBeUndefined();
      db.clock.advance(2000);
      expect(await b.responseUrls.latest(user, channel)).toBeUndefined();
      expect(await b.responseUrls.latest('v'.repeat(26), channel)).toBe('https://chat.example/hooks/commands/other');
    });
  });

  describe('text from outside', () => {
    it('answers "absent" for keys holding U+0000 (a crafted state), and keeps it inside records', async () => {
      expect(await a.states.take('state\u0000x')).toBeUndefined();
      await a.states.cancelLink('link\u0000x');
      expect(await a.links.peek('link\u0000x')).toBeUndefined();
      expect(await a.links.take('link\u0000x')).toBeUndefined();
      expect(await a.tokens.get('u-alice\u0000', 'github')).toBeUndefined();
      await a.tokens.delete('u-alice\u0000', 'github');
      // An account name as a provider sent it: whatever characters it holds, it comes back.
      const odd = connectionOf(db.clock, { accountName: 'al\u0000ice \u{1F600} \\ "q"' });
      await a.tokens.put(odd);
      expect(await b.tokens.get('u-alice', 'github')).toEqual(odd);
    });

    it('makes a link whatever its user’s name holds: the name as given, or none where the database cannot hold it (the page then reads the user)', async () => {
      const person = { displayName: 'Ada\u0000 \u{1F600} \\ "q"', language: 'en' };
      await a.links.create('odd-name', linkOf(db.clock, { person }));
      const stored = await b.links.peek('odd-name');
      expect(stored).toEqual(
        backend.name === 'PostgreSQL' ? linkOf(db.clock, { expiresAt: expect.any(Number) }) : linkOf(db.clock, { person, expiresAt: expect.any(Number) }),
      );
    });
  });

  describe('the refresh lease', () => {
    it('is held by one instance at a time, even when both ask at once', async () => {
      const handles = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).lease.acquire('oauth-refresh:alice', 30_000)));
      const held = handles.filter((handle) => handle !== undefined);
      expect(held).toHaveLength(1);
      expect(await a.lease.acquire('oauth-refresh:bob', 30_000)).toBeDefined();
      await held[0]?.release();
      expect(await b.lease.acquire('oauth-refresh:alice', 30_000)).toBeDefined();
    });

    it('is taken over once expired, and then released only by its new owner', async () => {
      const first = await a.lease.acquire('oauth-refresh:alice', 200);
      expect(first).toBeDefined();
      expect(await b.lease.acquire('oauth-refresh:alice', 30_000)).toBeUndefined();
      await sleep(450);
      const second = await b.lease.acquire('oauth-refresh:alice', 30_000);
      expect(second).toBeDefined();
      // The first holder, late, releases: what it frees is its own claim only, which is gone.
      await first?.release();
      expect(await a.lease.acquire('oauth-refresh:alice', 30_000)).toBeUndefined();
      await second?.release();
      expect(await a.lease.acquire('oauth-refresh:alice', 30_000)).toBeDefined();
    });

    it('lets two instances refreshing one expired token call the provider once (the getter re-reads under it)', async () => {
      const now = db.clock.now();
      await a.tokens.put(connectionOf(db.clock, { tokens: { ...connectionOf(db.clock).tokens, expiresAt: now - 1000, obtainedAt: now - 3600_000 } }));
      let calls = 0;
      const getter = (storage: ServiceStorage) =>
        new TokenGetter({
          tokens: storage.tokens,
          lease: storage.lease,
          clock: db.clock,
          pollMs: 20,
          refresh: async (connection) => {
            calls += 1;
            await sleep(150);
            return { ...connection.tokens, accessToken: `sealed:k1:iv:fresh-${calls}`, expiresAt: db.clock.now() + 3600_000, obtainedAt: db.clock.now() };
          },
        });
      const tokens = await Promise.all([getter(a).getAccessToken('u-alice', 'github'), getter(b).getAccessToken('u-alice', 'github')]);
      expect(calls).toBe(1);
      expect(tokens).toEqual(['sealed:k1:iv:fresh-1', 'sealed:k1:iv:fresh-1']);
    });
  });
});

const sqlBackends: Backend[] = [sqliteBackend, ...(POSTGRES_URL ? [postgresBackend(POSTGRES_URL)] : [])];

describe.each(sqlBackends)('what only a database has, on $name', (backend) => {
  let db: TestDatabase;
  let raw: RawAccess;

  beforeEach(async () => {
    db = await backend.create();
    if (!db.raw) throw new Error('a SQL backend has raw access');
    raw = db.raw;
  });
  afterEach(() => db.dispose());

  it('migrates once, however many instances start together or again', async () => {
    await Promise.all([db.open(), db.open(), db.open()]);
    await db.open();
    expect(await raw.schemaVersions()).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('reads a link an earlier version stored (no person) as a link without one, so the page reads the user', async () => {
    const storage = await db.open();
    const link = linkOf(db.clock);
    await raw.insertLinkOfVersion1('from-v1', link);
    expect(await storage.links.peek('from-v1')).toEqual(link);
  });

  it('refuses a database a newer version of the service migrated', async () => {
    await db.open();
    await raw.setSchemaVersion(SCHEMA_VERSION + 1);
    await expect(db.open()).rejects.toThrow(`schema is at version ${SCHEMA_VERSION + 1}, newer than this version of the service knows`);
  });

  it.each([
    ['a record of a newer format', '{"format": 99, "connectedAt": 1}', 'format 99 was written by a newer version'],
    ['a record without its tokens', '{"format": 1, "connectedAt": 1}', 'tokens: expected object'],
    [
      'an empty access token on a live connection',
      JSON.stringify({ format: 1, connectedAt: 1, tokens: { accessToken: '', tokenType: 'bearer', obtainedAt: 1, scopes: [] } }),
      'tokens.accessToken',
    ],
    ['a list', '[1, 2]', 'not an object'],
    ['a string', '"hello"', 'not an object'],
    ['text that is not JSON', '{"format": 1, "tok', 'not JSON'],
  ])('reads %s as reconnect_required (unreadable_record), and says so once in the log', async (_what, json, why) => {
    const warnings: string[] = [];
    const storage = await db.open({ logger: { warn: (message) => warnings.push(message) } });
    const userId = `u-${Math.random().toString(36).slice(2)}`;
    await storage.tokens.put(connectionOf(db.clock, { userId }));
    await raw.damageToken(userId, 'github', json);
    for (let i = 0; i < 2; i += 1) {
      const error = await rejectionOf(storage.tokens.get(userId, 'github'));
      expect(error).toBeInstanceOf(OAuthError);
      expect(error.kind).toBe('reconnect_required');
      expect(error.reason).toBe('unreadable_record');
      expect(error.message).toContain(why);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(userId);
    expect(warnings[0]).not.toContain('sealed:');
  });

  it('reads a damaged pending authorization as absent, and spends it', async () => {
    const storage = await db.open();
    await storage.states.put(pendingOf('damaged', db.clock));
    await raw.damagePending('damaged', '{"state": "damaged"}');
    expect(await storage.states.take('damaged')).toBeUndefined();
    await raw.damagePending('damaged', '{}');
    expect(await storage.states.take('damaged')).toBeUndefined();
  });

  it('holds only what the sealing decorator gives it: no token in clear', async () => {
    const storage = await db.open();
    const sealed = new SealedTokenStore(storage.tokens, { ring: parseKeyRing(newSealingKey()), reported: new Set() });
    const plain = connectionOf(db.clock, { tokens: { ...connectionOf(db.clock).tokens, accessToken: 'gho_plainaccess', refreshToken: 'ghr_plainrefresh' } });
    await sealed.put(plain);
    const text = await raw.tokenRecordText('u-alice', 'github');
    expect(text).toContain('sealed:');
    expect(text).not.toContain('gho_plainaccess');
    expect(text).not.toContain('ghr_plainrefresh');
    expect(await sealed.get('u-alice', 'github')).toEqual(plain);
  });

  it('sweeps expired rows at most once a minute, on writes', async () => {
    const storage = await db.open();
    const soon = () => linkOf(db.clock, { userId: `u-${Math.random()}`, expiresAt: db.clock.now() + 1000 });
    await storage.links.create('first', soon()); // the first write sweeps (nothing yet)
    db.clock.advance(SWEEP_INTERVAL_MS + 1000);
    await storage.links.create('second', soon()); // a minute later: 'first' has expired and goes
    expect(await raw.linkIds()).toEqual(['second']);
    db.clock.advance(SWEEP_INTERVAL_MS / 2);
    await storage.states.put(pendingOf('s', db.clock)); // half a minute later: no sweep, 'second' stays though expired
    expect(await raw.linkIds()).toEqual(['second']);
    db.clock.advance(SWEEP_INTERVAL_MS / 2 + 1000);
    await storage.states.put(pendingOf('t', db.clock));
    expect(await raw.linkIds()).toEqual([]);
  });

  it('lets only the first browser claim a link, and tells each claimant whether it holds it', async () => {
    const storage = await db.open();
    const link = linkOf(db.clock);
    await storage.links.create('link-1', link);
    expect(await storage.links.claim('link-1', link, 'first-browser')).toBe(true);
    expect(await storage.links.claim('link-1', link, 'second-browser')).toBe(false);
    expect(await storage.links.claim('link-1', link, 'first-browser')).toBe(true);
    expect((await storage.links.peek('link-1'))?.browserBinding).toBe('first-browser');
    expect(await storage.links.claim('no-such-link', link, 'first-browser')).toBe(false);
  });
});

describe('SQLite shared by several processes', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'oauth-storage-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each state to one process and the lease to one, and keeps the link limit (busy_timeout, BEGIN IMMEDIATE)', async () => {
    const path = join(dir, 'shared.sqlite');
    const worker = join(dir, 'worker.js');
    // Dependencies stay in node_modules (NODE_PATH below): the processes load the real better-sqlite3.
    await build({
      entryPoints: [join(__dirname, 'fixtures', 'sqlite-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      outfile: worker,
      logLevel: 'silent',
    });
    const STATES = 1000;
    const setup = await openStorage({ sqlitePath: path });
    for (let i = 0; i < STATES; i += 1) await setup.states.put(pendingOf(`state-${i}`, { now: Date.now }));
    await setup.close();

    const startAt = Date.now() + 2000;
    const env = { ...process.env, NODE_PATH: resolve(__dirname, '..', '..', 'node_modules') };
    const outputs = await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map((name) => promisify(execFile)(process.execPath, [worker, path, String(startAt), String(STATES), name], { env })),
    );
    const results = outputs.map(({ stdout }) => JSON.parse(stdout) as { lease: boolean; created: string[]; dropped: string[]; taken: string[] });

    expect(results.filter((result) => result.lease)).toHaveLength(1);
    const taken = results.flatMap((result) => result.taken);
    expect(taken).toHaveLength(STATES);
    expect(new Set(taken).size).toBe(STATES);
    const created = results.flatMap((result) => result.created);
    const dropped = results.flatMap((result) => result.dropped);
    expect(new Set(dropped).size).toBe(dropped.length);
    expect(created.filter((id) => !dropped.includes(id))).toHaveLength(MAX_LINKS_PER_PROVIDER);
  }, 60_000);
});

describe('choosing the database', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'oauth-storage-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is SQLite without a database URL: one owner-only file in WAL mode', async () => {
    const path = join(dir, 'service.sqlite');
    const storage = await openStorage({ databaseUrl: '  ', sqlitePath: path });
    expect(storage.kind).toBe('sqlite');
    await storage.tokens.put(connectionOf({ now: Date.now }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const direct = new Database(path, { readonly: true });
    expect(direct.pragma('journal_mode', { simple: true })).toBe('wal');
    direct.close();
    await storage.close();
    await storage.close();
  });

  it('refuses a URL of another database rather than quietly using a local file', async () => {
    await expect(openStorage({ databaseUrl: 'mysql://db.example/oauth', sqlitePath: join(dir, 'x.sqlite') })).rejects.toThrow('postgres://');
  });
});
