/**
 * Sealing: secrets kept in the platform's persistence (access and refresh tokens, PKCE
 * verifiers) are stored as AES-256-GCM ciphertexts, never in clear.
 *
 * A sealed value is one self-describing string:
 *
 *     sealed:1:<key id>:<IV, base64url>:<ciphertext ‖ 128-bit tag, base64url>
 *
 * - `1` is the version of this layout and of the authenticated data below.
 * - The key id names which key of the ring sealed it, so a rotated key still opens old values and
 *   a missing key is named in the log. It is the first 8 hex digits of
 *   SHA-256("oauth-key-id:" ‖ key): it identifies a key without revealing anything of it.
 * - The IV is 96 random bits, fresh for every value: NIST SP 800-38D §5.2.1.1 recommends 96-bit
 *   IVs, and §8.2.2 (RBG-based construction) makes random IVs unique enough as long as one key
 *   seals fewer than 2^32 values (§8.3) — a token write is a connection or a refresh, far below.
 * - The tag is the full 128 bits (SP 800-38D §5.2.1.2); a shorter one is refused when opening
 *   (Node's decipher would otherwise accept tags down to 4 bytes).
 * - The authenticated data (never stored: the reader rebuilds it) is the UTF-8 JSON array
 *   `["oauth-connector/sealed", 1, ...context]`, where the caller's context names where the value
 *   belongs (the record's user, provider, format and field). JSON of an array of strings and
 *   numbers is unambiguous, so no two contexts give the same bytes; a value copied into another
 *   place fails authentication.
 *
 * Keys are 32 random bytes, given as base64url, base64 or hex text (`newSealingKey()` makes one).
 * Passphrases are refused rather than stretched: HKDF (RFC 5869) is for keying material that is
 * already strong — its §4 leaves the slowing-down a password needs to other KDFs — and a slow KDF on
 * every app start buys nothing over asking for a random key in the first place.
 *
 * Only node's `crypto` is used (createCipheriv/createDecipheriv, randomBytes, createHash): the app
 * runs in Deno's Node compatibility layer on the Apps-Engine, whose `node:crypto` has all of them
 * and does the AES-GCM synchronously.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'crypto';
import { OAuthError } from './errors';

/** The version of the sealed string's layout and of its authenticated data. */
export const SEAL_VERSION = 1;
const PREFIX = `sealed:${SEAL_VERSION}:`;
const AAD_LABEL = 'oauth-connector/sealed';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[0-9a-f]{8}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Each key's 32 bytes, out of reach of anything but this module (and of JSON, logs, inspection). */
const MATERIAL = new WeakMap<SealingKey, Buffer>();

/** One key of a ring. It shows and serializes as its id alone: its bytes are held by this module. */
export class SealingKey {
  readonly id: string;

  private constructor(material: Buffer) {
    this.id = keyIdOf(material);
    MATERIAL.set(this, material);
  }

  /** A key from its 32 bytes (copied). */
  static fromBytes(material: Uint8Array): SealingKey {
    if (material.length !== KEY_BYTES) throw new RangeError(`A sealing key is ${KEY_BYTES} bytes, not ${material.length}`);
    return new SealingKey(Buffer.from(material));
  }
}

function bytesOf(key: SealingKey): Buffer {
  const material = MATERIAL.get(key);
  // Only reachable with an object that merely looks like a SealingKey.
  if (!material) throw new TypeError('Not a sealing key made by SealingKey.fromBytes or parseSealingKey');
  return material;
}

/**
 * A secret for another purpose derived from a key (HKDF-SHA256, RFC 5869 §2, the purpose as `info`),
 * so one configured key serves several jobs without any two using the same bytes.
 */
export function derivedSecret(key: SealingKey, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', bytesOf(key), Buffer.alloc(0), purpose, KEY_BYTES));
}

/** The key that seals, and the retired keys that may still open values sealed before a rotation. */
export interface KeyRing {
  readonly current: SealingKey;
  readonly others: ReadonlyArray<SealingKey>;
}

/** A new key as text, for the platform to store when none is configured yet: 32 random bytes, base64url. */
export function newSealingKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** SHA-256("oauth-key-id:" ‖ key), first 8 hex digits: names a key, tells nothing of it. */
function keyIdOf(material: Buffer): string {
  return createHash('sha256').update('oauth-key-id:', 'utf8').update(material).digest('hex').slice(0, 8);
}

/**
 * A key from its text: 32 bytes as base64url (what `newSealingKey` writes), base64 with or
 * without padding (`openssl rand -base64 32`) or 64 hex digits (`openssl rand -hex 32`). Anything
 * else is an `invalid_configuration` naming `field`, never the text.
 */
export function parseSealingKey(text: string, field = 'key'): SealingKey {
  const trimmed = text.trim();
  const bytes = decodeKeyText(trimmed);
  if (!bytes) {
    throw new OAuthError(
      'invalid_configuration',
      `The sealing key is not 32 bytes written as base64url, base64 or hex (a passphrase is not accepted; make a key with 32 random bytes)`,
      { field },
    );
  }
  return SealingKey.fromBytes(bytes);
}

function decodeKeyText(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  // 32 bytes are 43 base64 digits and one '=' of padding. Decoding is lenient in Node (it skips
  // what is not base64), so the text is checked, and must be the canonical encoding of its bytes.
  const digits = text.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  if (!/^[A-Za-z0-9_-]{43}$/.test(digits)) return undefined;
  const bytes = Buffer.from(digits, 'base64url');
  return bytes.length === KEY_BYTES && bytes.toString('base64url') === digits ? bytes : undefined;
}

/**
 * The key ring from the platform's settings: the current key and the retired ones. Blank retired
 * entries (an empty line in a list) are skipped, and a retired key equal to the current one or to
 * another is kept once. A malformed key is an `invalid_configuration` whose `field` is
 * `fields.current`, or `fields.retired` followed by `.<index>`.
 */
export function parseKeyRing(current: string, retired: ReadonlyArray<string> = [], fields: { current?: string; retired?: string } = {}): KeyRing {
  const currentKey = parseSealingKey(current, fields.current ?? 'current');
  const others: SealingKey[] = [];
  retired.forEach((text, index) => {
    if (text.trim() === '') return;
    const key = parseSealingKey(text, `${fields.retired ?? 'retired'}.${index}`);
    if (![currentKey, ...others].some((known) => bytesOf(known).equals(bytesOf(key)))) others.push(key);
  });
  return { current: currentKey, others };
}

/** Whether a stored string is a sealed value (of any version): what is not was written in clear. */
export function isSealed(value: string): boolean {
  return value.startsWith('sealed:');
}

/** The id of the key a sealed value names, if it is one of this version's sealed values. */
export function sealedKeyId(value: string): string | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const keyId = value.slice(PREFIX.length).split(':', 1)[0];
  return KEY_ID.test(keyId) ? keyId : undefined;
}

/** Where a value belongs: the parts of its authenticated data after the label and version. */
export type SealContext = ReadonlyArray<string | number>;

function aad(context: SealContext): Buffer {
  return Buffer.from(JSON.stringify([AAD_LABEL, SEAL_VERSION, ...context]), 'utf8');
}

/**
 * Seals `plaintext` under the ring's current key, bound to `context`. Strings are sealed as UTF-8,
 * as any UTF-8 persistence would store them: a lone UTF-16 surrogate comes back as U+FFFD.
 */
export function sealValue(ring: KeyRing, plaintext: string, context: SealContext): string {
  const key = ring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', bytesOf(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(context));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${key.id}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

/**
 * Why a sealed value did not open. `malformed`: not a sealed value of a version this code reads;
 * `unknown_key`: no key of the ring has its key id; `not_authentic`: a key with that id is in the
 * ring but the tag does not verify (altered, moved from elsewhere, or a different key with the
 * same 32-bit id).
 */
export type OpenFailure = 'malformed' | 'unknown_key' | 'not_authentic';

export type Opened = { ok: true; value: string; keyId: string } | { ok: false; problem: OpenFailure; keyId?: string };

/** Opens a sealed value with whichever key of the ring its key id names, checking it belongs to `context`. */
export function openSealed(ring: KeyRing, sealed: string, context: SealContext): Opened {
  if (!sealed.startsWith(PREFIX)) return { ok: false, problem: 'malformed' };
  const parts = sealed.slice(PREFIX.length).split(':');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [keyId, ivText, bodyText] = parts;
  if (!KEY_ID.test(keyId) || !BASE64URL.test(ivText) || !BASE64URL.test(bodyText)) return { ok: false, problem: 'malformed' };
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return { ok: false, problem: 'malformed', keyId };

  const candidates = [ring.current, ...ring.others].filter((key) => key.id === keyId);
  if (candidates.length === 0) return { ok: false, problem: 'unknown_key', keyId };
  const ciphertext = body.subarray(0, body.length - TAG_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  for (const key of candidates) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', bytesOf(key), iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(context));
      decipher.setAuthTag(tag);
      // final() throws when the tag does not verify; nothing decrypted is used before it returns.
      const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      return { ok: true, value: plaintext.toString('utf8'), keyId };
    } catch {
      // Not this key, or not authentic: try the next key with the same id, if any.
    }
  }
  return { ok: false, problem: 'not_authentic', keyId };
}
