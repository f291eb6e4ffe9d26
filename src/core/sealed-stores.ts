/**
 * Decorators that keep the secrets of any TokenStore or StateStore sealed (sealing.ts): the inner
 * store, whatever the platform's persistence, only ever holds ciphertexts of tokens and verifiers.
 *
 * Tokens. On `put`, the access and refresh tokens are sealed; the rest of the record (account
 * name, scopes, expiry, token type, dates) stays readable, so a status needs no key. Each value is
 * bound to its user, provider, field and to SEALED_TOKEN_FORMAT: a value copied into another user's
 * record, or an access token put in the refresh token's place, fails to open.
 * On `get`, a record whose tokens are all sealed is opened with whichever key of the ring sealed
 * it; one whose tokens are all in clear was written before sealing existed and is read as it is
 * (unless `acceptPlain` is false). Either is sealed again, under the current key, at its next write
 * (a connection or a refresh); nothing else rewrites records. A record none of whose keys is in the
 * ring, that fails authentication, or that mixes sealed and clear tokens, is `reconnect_required`
 * with the reason `unreadable_record`: the user is asked to connect again, and the log says once
 * per record what was wrong (the key id it needs, never a key or a token).
 *
 * Pending authorizations. The PKCE verifier is sealed, bound to its state, user and provider.
 */
import { OAuthError } from './errors';
import type { PendingAuthorization, StateStore, StoredConnection, TokenStore } from './ports';
import { isSealed, openSealed, sealValue, sealedKeyId, type KeyRing, type Opened, type SealContext } from './sealing';
import type { TokenSet } from './tokens';

/**
 * The layout of a sealed token record: which fields are sealed and what their authenticated data
 * holds. A later layout gets a new number, so that a value is never opened under another meaning.
 * (The platform's own record format is not bound: the platform migrates its records on reading,
 * without the key, and a migration must not make them unreadable.)
 */
export const SEALED_TOKEN_FORMAT = 1;
/** The same for a pending authorization's sealed verifier. */
export const SEALED_STATE_FORMAT = 1;

/** The token fields that are sealed; the others stay readable. */
export const SEALED_TOKEN_FIELDS = ['accessToken', 'refreshToken'] as const;
type SealedField = (typeof SEALED_TOKEN_FIELDS)[number];

/** Where warnings go (Rocket.Chat's ILogger fits). They name users, providers and key ids, never a secret. */
export interface SealingLogger {
  warn(message: string): void;
}

export interface SealedStoreOptions {
  /**
   * The keys. Undefined when the platform has no usable key (not generated yet, or malformed): then
   * nothing is written, since a token must never be stored in clear, and only what needs no key reads.
   */
  ring: KeyRing | undefined;
  /**
   * Whether values written before sealing existed (in clear) are read. Default true, so an upgrade
   * keeps everyone connected; false once every record was rewritten, so that a clear value put in
   * the store by someone who can write to it, but holds no key, is refused.
   */
  acceptPlain?: boolean;
  logger?: SealingLogger;
  /**
   * The unreadable records already reported. Share one set between stores made per request (the
   * default is one for the whole process) so each record is reported once, not once per command.
   */
  reported?: Set<string>;
}

const reportedInProcess = new Set<string>();

/** Seals under the current key; without a ring, refuses (the caller's write fails, nothing is half-stored). */
function seal(ring: KeyRing | undefined, plaintext: string, context: SealContext): string {
  if (!ring) {
    throw new OAuthError('invalid_configuration', 'No token sealing key is configured, so no token can be stored', { field: 'sealingKey' });
  }
  const sealed = sealValue(ring, plaintext, context);
  remember(ring, sealed, context, plaintext);
  return sealed;
}

function open(ring: KeyRing | undefined, sealed: string, context: SealContext): Opened {
  if (!ring) return { ok: false, problem: 'unknown_key', keyId: sealedKeyId(sealed) };
  const known = opened.get(ring)?.get(openedKey(sealed, context));
  if (known !== undefined) return { ok: true, value: known, keyId: sealedKeyId(sealed) ?? '' };
  const result = openSealed(ring, sealed, context);
  if (result.ok) remember(ring, sealed, context, result.value);
  return result;
}

/**
 * Values this process sealed or opened lately, by ring: the token getter reads the same record on
 * every call, and opening three AES-GCM values each time is most of its own cost. A sealed value
 * carries a random IV and its tag, so the same text in the same context always opens to the same
 * plaintext; keyed by ring, a key removed from the configuration (a new ring) opens nothing from
 * here. It holds tokens the process could open anyway with the key it holds, and at most a few.
 */
const opened = new WeakMap<KeyRing, Map<string, string>>();
const OPENED_LIMIT = 256;

function openedKey(sealed: string, context: SealContext): string {
  return `${JSON.stringify(context)}\u0000${sealed}`;
}

function remember(ring: KeyRing, sealed: string, context: SealContext, plaintext: string): void {
  let values = opened.get(ring);
  if (!values) opened.set(ring, (values = new Map()));
  if (values.size >= OPENED_LIMIT) values.delete(values.keys().next().value as string);
  values.set(openedKey(sealed, context), plaintext);
}

function tokenContext(userId: string, providerId: string, field: SealedField): SealContext {
  return ['token', SEALED_TOKEN_FORMAT, userId, providerId, field];
}

function verifierContext(state: string, userId: string, providerId: string): SealContext {
  return ['state', SEALED_STATE_FORMAT, state, userId, providerId, 'codeVerifier'];
}

/** What went wrong with a sealed value, for the log and the error: a key id and a field name at most. */
function whyNotOpened(failure: Exclude<Opened, { ok: true }>, field: string): string {
  switch (failure.problem) {
    case 'unknown_key':
      return `its ${field} is sealed under key ${failure.keyId}, which is not in the key ring`;
    case 'not_authentic':
      return `its ${field} does not authenticate under key ${failure.keyId} (altered, or copied from another record)`;
    case 'malformed':
      return `its ${field} is not a sealed value this version reads`;
  }
}

/**
 * The fields that hold a token. An empty one holds no secret and stays as it is: a lost connection's
 * wiped tokens (`wipedTokens`, an empty access token) read without any key.
 */
function presentFields(tokens: TokenSet): SealedField[] {
  return SEALED_TOKEN_FIELDS.filter((field) => typeof tokens[field] === 'string' && tokens[field] !== '');
}

export class SealedTokenStore implements TokenStore {
  private readonly reported: Set<string>;

  constructor(
    private readonly inner: TokenStore,
    private readonly options: SealedStoreOptions,
  ) {
    this.reported = options.reported ?? reportedInProcess;
  }

  async get(userId: string, providerId: string): Promise<StoredConnection | undefined> {
    const stored = await this.inner.get(userId, providerId);
    if (!stored) return undefined;
    const present = presentFields(stored.tokens);
    const sealed = present.filter((field) => isSealed(stored.tokens[field] as string));
    if (sealed.length === 0) {
      if (this.options.acceptPlain ?? true) return stored;
      throw this.unreadable(userId, providerId, 'its tokens are stored in clear, which this app no longer accepts');
    }
    // A record this code wrote seals every token; a mix is no record it wrote.
    if (sealed.length < present.length) throw this.unreadable(userId, providerId, 'some of its tokens are sealed and others are not');

    const tokens: TokenSet = { ...stored.tokens };
    for (const field of present) {
      // Bound to the record asked for, not to the ids written inside it: a moved record fails here.
      const opened = open(this.options.ring, stored.tokens[field] as string, tokenContext(userId, providerId, field));
      if (!opened.ok) throw this.unreadable(userId, providerId, whyNotOpened(opened, field));
      tokens[field] = opened.value;
    }
    return { ...stored, tokens };
  }

  /** Seals the tokens under the current key; an older record in the inner store is replaced, sealed anew. */
  async put(connection: StoredConnection): Promise<void> {
    const { userId, providerId } = connection;
    const tokens: TokenSet = { ...connection.tokens };
    for (const field of presentFields(connection.tokens)) {
      tokens[field] = seal(this.options.ring, connection.tokens[field] as string, tokenContext(userId, providerId, field));
    }
    await this.inner.put({ ...connection, tokens });
  }

  delete(userId: string, providerId: string): Promise<void> {
    return this.inner.delete(userId, providerId);
  }

  private unreadable(userId: string, providerId: string, why: string): OAuthError {
    const key = `${userId}\u0000${providerId}\u0000${why}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.options.logger?.warn(`The stored ${providerId} connection of user ${userId} cannot be opened: ${why}; the user is asked to connect again`);
    }
    return new OAuthError('reconnect_required', `The stored ${providerId} connection cannot be opened: ${why}`, { providerId, reason: 'unreadable_record' });
  }
}

/**
 * Whether a record, as the inner store holds it, is not sealed under the ring's current key (in
 * clear, or under a retired key): it will be at its next write. A retired key can leave the ring
 * once no record needs it; one that does reads as unreadable after.
 */
export function needsReseal(record: StoredConnection, ring: KeyRing): boolean {
  return presentFields(record.tokens).some((field) => sealedKeyId(record.tokens[field] as string) !== ring.current.id);
}

/**
 * Pending authorizations with their PKCE verifier sealed. `take` answers the record with the
 * verifier opened; a verifier that does not open (its key left the ring within the state's
 * lifetime, or the record was altered) is `invalid_state`: the state is spent, the user starts again.
 */
export class SealedStateStore<S extends StateStore = StateStore> implements StateStore {
  private readonly reported: Set<string>;

  constructor(
    protected readonly inner: S,
    private readonly options: SealedStoreOptions,
  ) {
    this.reported = options.reported ?? reportedInProcess;
  }

  async put(pending: PendingAuthorization): Promise<void> {
    if (!pending.codeVerifier) return this.inner.put(pending);
    const codeVerifier = seal(this.options.ring, pending.codeVerifier, verifierContext(pending.state, pending.userId, pending.providerId));
    return this.inner.put({ ...pending, codeVerifier });
  }

  async take(state: string): Promise<PendingAuthorization | undefined> {
    const pending = await this.inner.take(state);
    if (!pending || typeof pending.codeVerifier !== 'string' || pending.codeVerifier === '') return pending;
    let why: string;
    if (!isSealed(pending.codeVerifier)) {
      // Started before sealing existed (a state lives minutes): read it, unless clear values are refused.
      if (this.options.acceptPlain ?? true) return pending;
      why = 'its verifier is stored in clear, which this app no longer accepts';
    } else {
      const opened = open(this.options.ring, pending.codeVerifier, verifierContext(state, pending.userId, pending.providerId));
      if (opened.ok) return { ...pending, codeVerifier: opened.value };
      why = whyNotOpened(opened, 'verifier');
    }
    // The record failed its check, so neither its user nor its provider is to be trusted: the error
    // names no request, and the log names the key id only.
    const key = `state\u0000${why}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.options.logger?.warn(`A pending authorization cannot be opened: ${why}; the user is asked to start again`);
    }
    throw new OAuthError('invalid_state', `The pending authorization cannot be opened: ${why}`);
  }
}

/** The same for a store that also cancels by link (the app's LinkedStateStore): `cancelLink` passes through. */
export class SealedLinkedStateStore<S extends StateStore & { cancelLink(linkId: string): Promise<void> }> extends SealedStateStore<S> {
  cancelLink(linkId: string): Promise<void> {
    return this.inner.cancelLink(linkId);
  }
}
