import { inspect } from 'util';
import type { LinkedStateStore } from '../../src/app/connect-links';
import { OAuthError } from '../../src/core/errors';
import type { PendingAuthorization, StoredConnection } from '../../src/core/ports';
import { needsReseal, SealedLinkedStateStore, SealedStateStore, SealedTokenStore, type SealedStoreOptions } from '../../src/core/sealed-stores';
import { isSealed, newSealingKey, openSealed, parseKeyRing, parseSealingKey, sealValue, sealedKeyId, SealingKey, type KeyRing } from '../../src/core/sealing';
import { MemoryStateStore, MemoryTokenStore } from '../../src/node/memory-stores';

const SEALED_SHAPE = /^sealed:1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/;

const keyA = newSealingKey();
const keyB = newSealingKey();
const ringA = parseKeyRing(keyA);
const ringB = parseKeyRing(keyB);
const ringBwithA = parseKeyRing(keyB, [keyA]);

function connection(overrides: Partial<StoredConnection['tokens']> = {}, userId = 'u1', providerId = 'acme'): StoredConnection {
  return {
    userId,
    providerId,
    accountName: 'alice@example.org',
    connectedAt: 1_700_000_000_000,
    tokens: {
      accessToken: 'gho_ACCESS_token_value_1234',
      refreshToken: 'ghr_REFRESH_token_value_5678',
      tokenType: 'Bearer',
      obtainedAt: 1_700_000_000_000,
      expiresAt: 1_700_003_600_000,
      scopes: ['read', 'write'],
      requestedScopes: ['read', 'write'],
      ...overrides,
    },
  };
}

function logger() {
  const lines: string[] = [];
  return { lines, warn: (message: string) => void lines.push(message) };
}

/** A sealed store on a memory store, with its own record of what was reported. */
function sealedOn(inner: MemoryTokenStore, ring: KeyRing, extra: Partial<SealedStoreOptions> = {}) {
  const log = logger();
  const store = new SealedTokenStore(inner, { ring, logger: log, reported: new Set(), ...extra });
  return { store, log };
}

/** XORs one byte of a sealed value's IV (part 3) or ciphertext‖tag (part 4), keeping the format valid. */
function flipByte(sealed: string, part: 3 | 4, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[(index + bytes.length) % bytes.length] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join(':');
}

async function expectUnreadable(promise: Promise<unknown>, providerId = 'acme'): Promise<OAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the record to be refused');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OAuthError);
  expect(error).toMatchObject({ kind: 'reconnect_required', reason: 'unreadable_record', providerId });
  return error as OAuthError;
}

/** A seeded generator, so a failing fuzz case is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Well-formed strings mixing ASCII, separators, NUL, accents, CJK, emoji (surrogate pairs) and combining marks. */
function randomText(random: () => number): string {
  const pool = [
    'a',
    'Z',
    '0',
    ':',
    '=',
    '/',
    '+',
    '-',
    '_',
    ' ',
    '\u0000',
    '\n',
    'é',
    'ß',
    '中',
    '文',
    '😀',
    '🔑',
    'e\u0301',
    '\u202e',
    'sealed:1:',
    '"',
    '\\',
  ];
  const length = Math.floor(random() * 64);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += random() < 0.5 ? pool[Math.floor(random() * pool.length)] : String.fromCodePoint(0x20 + Math.floor(random() * 0x2fff));
  }
  return text;
}

/**
 * The same 32 bytes with a bit set that base64 leaves zero: 43 digits carry 258 bits, the last
 * digit's two low bits are padding. Node would decode it to the same key; it is refused.
 */
function nonCanonical(key: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return key.slice(0, 42) + alphabet[alphabet.indexOf(key[42]) | 1];
}

describe('sealing keys', () => {
  it('makes 32-byte base64url keys, each with its own 8-hex id', () => {
    expect(keyA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(keyA, 'base64url')).toHaveLength(32);
    expect(ringA.current.id).toMatch(/^[0-9a-f]{8}$/);
    expect(ringA.current.id).not.toBe(ringB.current.id);
    // The id reveals nothing of the key: it is not a piece of its text.
    expect(keyA).not.toContain(ringA.current.id);
    expect(Buffer.from(keyA, 'base64url').toString('hex')).not.toContain(ringA.current.id);
  });

  it('reads the same key as base64url, padded base64 and hex', () => {
    const bytes = Buffer.from(keyA, 'base64url');
    const ids = [keyA, bytes.toString('base64'), bytes.toString('base64').replace(/=$/, ''), bytes.toString('hex'), `  ${keyA}\n`].map(
      (text) => parseSealingKey(text).id,
    );
    expect(new Set(ids)).toEqual(new Set([ringA.current.id]));
  });

  it.each([
    ['a passphrase', 'correct horse battery staple'],
    ['16 bytes', Buffer.alloc(16, 7).toString('base64url')],
    ['33 bytes', Buffer.alloc(33, 7).toString('base64url')],
    ['63 hex digits', 'a'.repeat(63)],
    ['a non-canonical last digit', nonCanonical(keyA)],
    ['a stray character', `${keyA.slice(0, 20)}*${keyA.slice(21)}`],
  ])('refuses %s, naming the field and not the text', (_label, text) => {
    let caught: unknown;
    try {
      parseKeyRing(keyA, ['', text], { current: 'sealing_key', retired: 'sealing_keys_retired' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OAuthError);
    expect(caught).toMatchObject({ kind: 'invalid_configuration', field: 'sealing_keys_retired.1' });
    if (text.trim()) expect((caught as Error).message).not.toContain(text.trim());
  });

  it.each(['not a key', '', '   '])('names the current key field when the current key is malformed: %j', (text) => {
    let caught: unknown;
    try {
      parseKeyRing(text, [keyA], { current: 'sealing_key' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OAuthError);
    expect(caught).toMatchObject({ kind: 'invalid_configuration', field: 'sealing_key' });
  });

  it('skips blank retired entries and keeps each key once', () => {
    const ring = parseKeyRing(keyB, ['', '  ', keyA, keyB, Buffer.from(keyA, 'base64url').toString('hex')]);
    expect(ring.current.id).toBe(ringB.current.id);
    expect(ring.others.map((key) => key.id)).toEqual([ringA.current.id]);
  });

  it('never shows key material when a ring is serialized or inspected', () => {
    const ring = parseKeyRing(keyB, [keyA]);
    const shown = `${JSON.stringify(ring)} ${inspect(ring, { depth: 5, showHidden: true })}`;
    for (const key of [keyA, keyB]) {
      const bytes = Buffer.from(key, 'base64url');
      for (const form of [key, bytes.toString('base64'), bytes.toString('hex')]) expect(shown).not.toContain(form.slice(0, 12));
    }
    expect(shown).toContain(ring.current.id);
  });

  it('refuses a look-alike object as a key', () => {
    const fake = { current: { id: ringA.current.id } as SealingKey, others: [] };
    expect(() => sealValue(fake, 'x', ['t'])).toThrow(TypeError);
  });
});

describe('seal and open', () => {
  it('gives a self-describing string with a fresh IV each time', () => {
    const one = sealValue(ringA, 'token', ['ctx']);
    const two = sealValue(ringA, 'token', ['ctx']);
    expect(one).toMatch(SEALED_SHAPE);
    expect(one).not.toBe(two);
    expect(one.split(':')[3]).not.toBe(two.split(':')[3]);
    expect(sealedKeyId(one)).toBe(ringA.current.id);
    expect(openSealed(ringA, one, ['ctx'])).toEqual({ ok: true, value: 'token', keyId: ringA.current.id });
  });

  it('opens only in the context it was sealed for', () => {
    const sealed = sealValue(ringA, 'token', ['token', 1, 'u1', 'acme', 'accessToken']);
    expect(openSealed(ringA, sealed, ['token', 1, 'u2', 'acme', 'accessToken'])).toMatchObject({ ok: false, problem: 'not_authentic' });
    // JSON keeps the parts apart: "u1" + "acme" is not "u1a" + "cme".
    expect(openSealed(ringA, sealed, ['token', 1, 'u1a', 'cme', 'accessToken'])).toMatchObject({ ok: false, problem: 'not_authentic' });
    expect(openSealed(ringA, sealed, ['token', '1', 'u1', 'acme', 'accessToken'])).toMatchObject({ ok: false, problem: 'not_authentic' });
  });

  it('refuses a shortened tag, a short IV, and text that is not a sealed value', () => {
    const sealed = sealValue(ringA, 'token', ['ctx']);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[4], 'base64url');
    const truncated = [...parts.slice(0, 4), body.subarray(0, body.length - 4).toString('base64url')].join(':');
    expect(openSealed(ringA, truncated, ['ctx'])).toMatchObject({ ok: false });
    const shortIv = [...parts.slice(0, 3), Buffer.alloc(8).toString('base64url'), parts[4]].join(':');
    expect(openSealed(ringA, shortIv, ['ctx'])).toMatchObject({ ok: false, problem: 'malformed' });
    for (const text of ['token', 'sealed:2:abcdef01:AAAA:AAAA', `${sealed}:extra`, sealed.replace(/:[^:]*$/, ':not*base64'), 'sealed:1:ABCDEF01:x:y']) {
      expect(openSealed(ringA, text, ['ctx'])).toMatchObject({ ok: false, problem: 'malformed' });
    }
  });

  it('round-trips random unicode text, empty text included', () => {
    const random = prng(11);
    for (let i = 0; i < 300; i++) {
      const text = i === 0 ? '' : randomText(random);
      const context = [randomText(random), i];
      const sealed = sealValue(ringA, text, context);
      expect(sealed).toMatch(SEALED_SHAPE);
      expect(openSealed(ringBwithA, sealed, context)).toEqual({ ok: true, value: text, keyId: ringA.current.id });
    }
  });
});

describe('SealedTokenStore', () => {
  it('stores no token in clear and reads the connection back', async () => {
    const inner = new MemoryTokenStore();
    const { store } = sealedOn(inner, ringA);
    const original = connection();
    await store.put(original);

    const held = (await inner.get('u1', 'acme'))!;
    const raw = JSON.stringify(held);
    for (const secret of ['gho_ACCESS_token_value_1234', 'ghr_REFRESH_token_value_5678', 'ACCESS', 'REFRESH']) {
      expect(raw).not.toContain(secret);
    }
    expect(held.tokens.accessToken).toMatch(SEALED_SHAPE);
    expect(held.tokens.refreshToken).toMatch(SEALED_SHAPE);
    // What a status shows stays readable without any key.
    expect(held).toMatchObject({ userId: 'u1', providerId: 'acme', accountName: 'alice@example.org', connectedAt: original.connectedAt });
    const { accessToken: _a, refreshToken: _r, ...readable } = original.tokens;
    expect(held.tokens).toMatchObject(readable);

    await expect(store.get('u1', 'acme')).resolves.toEqual(original);
    await expect(store.get('u1', 'other')).resolves.toBeUndefined();
  });

  it('leaves absent and empty tokens as they are', async () => {
    const inner = new MemoryTokenStore();
    const { store } = sealedOn(inner, ringA);
    const wiped = connection({ accessToken: '', refreshToken: undefined });
    await store.put(wiped);
    const held = (await inner.get('u1', 'acme'))!;
    expect(held.tokens.accessToken).toBe('');
    expect(held.tokens.refreshToken).toBeUndefined();
    // A lost connection's record reads even with a ring that has none of the keys.
    await expect(sealedOn(inner, ringB).store.get('u1', 'acme')).resolves.toEqual(wiped);
  });

  it('deletes through the inner store', async () => {
    const inner = new MemoryTokenStore();
    const { store } = sealedOn(inner, ringA);
    await store.put(connection());
    await store.delete('u1', 'acme');
    await expect(inner.get('u1', 'acme')).resolves.toBeUndefined();
  });

  it('rotates: a retired key still opens, the next write seals under the current key', async () => {
    const inner = new MemoryTokenStore();
    await sealedOn(inner, ringA).store.put(connection());
    expect(sealedKeyId((await inner.get('u1', 'acme'))!.tokens.accessToken)).toBe(ringA.current.id);

    const rotated = sealedOn(inner, ringBwithA).store;
    const read = (await rotated.get('u1', 'acme'))!;
    expect(read).toEqual(connection());
    expect(needsReseal((await inner.get('u1', 'acme'))!, ringBwithA)).toBe(true);

    // The getter writes the record back after a refresh: that write reseals it.
    await rotated.put({ ...read, tokens: { ...read.tokens, accessToken: 'gho_NEW_access' } });
    const held = (await inner.get('u1', 'acme'))!;
    for (const field of ['accessToken', 'refreshToken'] as const) expect(sealedKeyId(held.tokens[field]!)).toBe(ringB.current.id);
    expect(needsReseal(held, ringBwithA)).toBe(false);

    // A is no longer needed.
    const onlyB = sealedOn(inner, ringB);
    await expect(onlyB.store.get('u1', 'acme')).resolves.toMatchObject({
      tokens: { accessToken: 'gho_NEW_access', refreshToken: 'ghr_REFRESH_token_value_5678' },
    });
    expect(onlyB.log.lines).toEqual([]);
  });

  it('answers reconnect_required for a record under a lost key, and logs its key id once, no secret', async () => {
    const inner = new MemoryTokenStore();
    await sealedOn(inner, ringA).store.put(connection());
    const { store, log } = sealedOn(inner, ringB);

    const error = await expectUnreadable(store.get('u1', 'acme'));
    await expectUnreadable(store.get('u1', 'acme'));
    expect(error.message).toContain(ringA.current.id);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toContain(ringA.current.id);
    expect(log.lines[0]).toContain('u1');
    expect(log.lines[0]).toContain('acme');
    const bytesA = Buffer.from(keyA, 'base64url');
    const bytesB = Buffer.from(keyB, 'base64url');
    for (const secret of [keyA, keyB, bytesA.toString('hex'), bytesB.toString('hex'), bytesA.toString('base64'), 'ACCESS', 'REFRESH', 'ID_TOKEN']) {
      expect(log.lines[0]).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    }
    // Writing a new connection (the user connects again) ends it.
    await store.put(connection({ accessToken: 'fresh' }));
    await expect(store.get('u1', 'acme')).resolves.toMatchObject({ tokens: { accessToken: 'fresh' } });
  });

  it('shares the set of reported records between stores, so per-request stores log once', async () => {
    const inner = new MemoryTokenStore();
    await sealedOn(inner, ringA).store.put(connection());
    const reported = new Set<string>();
    const log = logger();
    for (let i = 0; i < 3; i++) await expectUnreadable(new SealedTokenStore(inner, { ring: ringB, logger: log, reported }).get('u1', 'acme'));
    expect(log.lines).toHaveLength(1);
  });

  describe('refuses a record that was altered', () => {
    async function stored(): Promise<{ inner: MemoryTokenStore; held: StoredConnection }> {
      const inner = new MemoryTokenStore();
      await sealedOn(inner, ringA).store.put(connection());
      return { inner, held: (await inner.get('u1', 'acme'))! };
    }

    it.each([
      ['a ciphertext byte', 4, 0],
      ['a tag byte', 4, -1],
      ['an IV byte', 3, 5],
    ] as const)('flipped: %s', async (_label, part, index) => {
      const { inner, held } = await stored();
      await inner.put({ ...held, tokens: { ...held.tokens, refreshToken: flipByte(held.tokens.refreshToken!, part, index) } });
      const { store, log } = sealedOn(inner, ringA);
      const error = await expectUnreadable(store.get('u1', 'acme'));
      expect(error.message).toContain('refreshToken does not authenticate');
      expect(log.lines).toHaveLength(1);
    });

    it('access and refresh tokens swapped', async () => {
      const { inner, held } = await stored();
      await inner.put({ ...held, tokens: { ...held.tokens, accessToken: held.tokens.refreshToken!, refreshToken: held.tokens.accessToken } });
      await expectUnreadable(sealedOn(inner, ringA).store.get('u1', 'acme'));
    });

    it('moved into another user’s record, whole or one token', async () => {
      const { inner, held } = await stored();
      await inner.put({ ...held, userId: 'u2' });
      await expectUnreadable(sealedOn(inner, ringA).store.get('u2', 'acme'));

      const { store } = sealedOn(inner, ringA);
      await store.put(connection({}, 'u3'));
      const victim = (await inner.get('u3', 'acme'))!;
      await inner.put({ ...victim, tokens: { ...victim.tokens, accessToken: held.tokens.accessToken } });
      await expectUnreadable(store.get('u3', 'acme'));
    });

    it('moved to another provider', async () => {
      const { inner, held } = await stored();
      await inner.put({ ...held, providerId: 'other' });
      await expectUnreadable(sealedOn(inner, ringA).store.get('u1', 'other'), 'other');
    });

    it('one token replaced by a value in clear', async () => {
      const { inner, held } = await stored();
      await inner.put({ ...held, tokens: { ...held.tokens, refreshToken: 'attacker_refresh_token' } });
      const error = await expectUnreadable(sealedOn(inner, ringA).store.get('u1', 'acme'));
      expect(error.message).toContain('some of its tokens are sealed and others are not');
      expect(error.message).not.toContain('attacker_refresh_token');
    });

    it('a value that claims to be sealed but is not', async () => {
      const { inner, held } = await stored();
      await inner.put({ ...held, tokens: { ...held.tokens, refreshToken: 'sealed:1:nonsense' } });
      await expectUnreadable(sealedOn(inner, ringA).store.get('u1', 'acme'));
    });
  });

  it('opens a value it opened before without a key only in the same ring: a ring without that key opens nothing', async () => {
    const inner = new MemoryTokenStore();
    await sealedOn(inner, ringA).store.put(connection());
    await expect(sealedOn(inner, ringA).store.get('u1', 'acme')).resolves.toEqual(connection());
    // The same record read with a configuration whose keys no longer include A: unreadable, however
    // recently this process opened it.
    await expectUnreadable(sealedOn(inner, ringB).store.get('u1', 'acme'));
    await expectUnreadable(sealedOn(inner, parseKeyRing(keyB)).store.get('u1', 'acme'));
  });

  it('reads a record written before sealing, and seals it at its next write', async () => {
    const inner = new MemoryTokenStore();
    await inner.put(connection());
    const { store, log } = sealedOn(inner, ringA);
    expect(needsReseal((await inner.get('u1', 'acme'))!, ringA)).toBe(true);
    await expect(store.get('u1', 'acme')).resolves.toEqual(connection());

    await store.put((await store.get('u1', 'acme'))!);
    const held = (await inner.get('u1', 'acme'))!;
    expect(JSON.stringify(held)).not.toContain('ACCESS');
    expect(held.tokens.accessToken).toMatch(SEALED_SHAPE);
    await expect(store.get('u1', 'acme')).resolves.toEqual(connection());
    expect(log.lines).toEqual([]);
  });

  it('refuses a record in clear when clear records are no longer accepted', async () => {
    const inner = new MemoryTokenStore();
    await inner.put(connection());
    const { store, log } = sealedOn(inner, ringA, { acceptPlain: false });
    const error = await expectUnreadable(store.get('u1', 'acme'));
    expect(error.message).not.toContain('ACCESS');
    expect(log.lines).toHaveLength(1);
  });

  it('round-trips random unicode tokens', async () => {
    const random = prng(42);
    const inner = new MemoryTokenStore();
    const { store } = sealedOn(inner, ringA);
    for (let i = 0; i < 100; i++) {
      const tokens = { accessToken: randomText(random) || 'x', refreshToken: randomText(random) || undefined, idToken: randomText(random) || undefined };
      const userId = randomText(random);
      const providerId = randomText(random);
      const written = connection(tokens, userId, providerId);
      await store.put(written);
      const held = (await inner.get(userId, providerId))!;
      expect(held.tokens.accessToken).toMatch(SEALED_SHAPE);
      await expect(store.get(userId, providerId)).resolves.toEqual(written);
    }
  });
});

describe('SealedStateStore', () => {
  /** A memory state store that remembers what it was given to keep. */
  class RecordingStateStore extends MemoryStateStore {
    readonly written: PendingAuthorization[] = [];
    override async put(record: PendingAuthorization): Promise<void> {
      this.written.push(structuredClone(record));
      await super.put(record);
    }
  }

  function pending(state: string, overrides: Partial<PendingAuthorization> = {}): PendingAuthorization {
    return {
      state,
      userId: 'u1',
      providerId: 'acme',
      codeVerifier: `verifier-${state}-0123456789abcdefghijklmnopqrstuvwxyz`,
      redirectUri: 'https://chat.example/api/apps/public/x/complete',
      scopes: ['read'],
      expiresAt: 1_700_000_600_000,
      context: { linkId: `link-${state}`, roomId: 'r1' },
      ...overrides,
    };
  }

  it('seals the verifier and take answers it opened, once', async () => {
    const inner = new RecordingStateStore();
    const states = new SealedLinkedStateStore(inner, { ring: ringA, reported: new Set() });
    await states.put(pending('s1'));
    expect(inner.written).toHaveLength(1);
    expect(JSON.stringify(inner.written)).not.toContain('verifier-s1');
    expect(inner.written[0].codeVerifier).toMatch(SEALED_SHAPE);
    expect(inner.written[0]).toMatchObject({ ...pending('s1'), codeVerifier: inner.written[0].codeVerifier });

    await expect(states.take('s1')).resolves.toEqual(pending('s1'));
    await expect(states.take('s1')).resolves.toBeUndefined();
  });

  it('works as the app’s LinkedStateStore: cancelLink passes through', async () => {
    const linked: LinkedStateStore = new SealedLinkedStateStore(new MemoryStateStore(), { ring: ringA, reported: new Set() });
    await linked.put(pending('s1'));
    await linked.cancelLink('link-s1');
    await expect(linked.take('s1')).resolves.toBeUndefined();
  });

  it('opens a verifier sealed under a retired key, and passes records without a verifier', async () => {
    const inner = new MemoryStateStore();
    await new SealedStateStore(inner, { ring: ringA }).put(pending('s1'));
    await new SealedStateStore(inner, { ring: ringA }).put(pending('s2', { codeVerifier: undefined }));
    const rotated = new SealedStateStore(inner, { ring: ringBwithA });
    await expect(rotated.take('s1')).resolves.toEqual(pending('s1'));
    await expect(rotated.take('s2')).resolves.toEqual(pending('s2', { codeVerifier: undefined }));
  });

  it('refuses a verifier moved to another state or user, or under a lost key, as invalid_state', async () => {
    const inner = new RecordingStateStore();
    const log = logger();
    const states = new SealedStateStore(inner, { ring: ringA, logger: log, reported: new Set() });
    await states.put(pending('s1'));
    const sealedVerifier = inner.written[0].codeVerifier!;

    await inner.put(pending('s2', { codeVerifier: sealedVerifier }));
    await expect(states.take('s2')).rejects.toMatchObject({ kind: 'invalid_state', request: undefined });
    await inner.put(pending('s3', { codeVerifier: sealValue(ringA, 'v', ['state', 1, 's3', 'u1', 'acme', 'codeVerifier']) }));
    await expect(states.take('s3')).resolves.toMatchObject({ codeVerifier: 'v' });
    await inner.put(pending('s4', { userId: 'u2', codeVerifier: sealValue(ringA, 'v', ['state', 1, 's4', 'u1', 'acme', 'codeVerifier']) }));
    await expect(states.take('s4')).rejects.toMatchObject({ kind: 'invalid_state' });

    await states.put(pending('s5'));
    const lost = new SealedStateStore(inner, { ring: ringB, logger: log, reported: new Set() });
    const error = await lost.take('s5').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'invalid_state' });
    expect((error as Error).message).toContain(ringA.current.id);
    expect(log.lines.join('\n')).not.toContain('verifier-s');
  });

  it('reads a verifier stored in clear before sealing, unless clear values are refused', async () => {
    const inner = new MemoryStateStore();
    await inner.put(pending('s1'));
    await inner.put(pending('s2'));
    await expect(new SealedStateStore(inner, { ring: ringA }).take('s1')).resolves.toEqual(pending('s1'));
    await expect(new SealedStateStore(inner, { ring: ringA, acceptPlain: false, reported: new Set() }).take('s2')).rejects.toMatchObject({
      kind: 'invalid_state',
    });
  });

  it('round-trips random unicode verifiers', async () => {
    const random = prng(7);
    const inner = new RecordingStateStore();
    const states = new SealedStateStore(inner, { ring: ringA });
    for (let i = 0; i < 100; i++) {
      const record = pending(`s${i}:${randomText(random)}`, { codeVerifier: randomText(random) || 'v', userId: randomText(random) });
      await states.put(record);
      expect(isSealed(inner.written[inner.written.length - 1].codeVerifier!)).toBe(true);
      await expect(states.take(record.state)).resolves.toEqual(record);
    }
  });
});
