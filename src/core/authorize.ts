/**
 * The authorization request (RFC 6749 §4.1.1) and the reading of its response (§4.1.2).
 *
 * `state` is 256 random bits, stored server-side with the user, the provider, the PKCE verifier
 * and an expiry, and taken exactly once: it is the only thing that ties the provider's redirect to
 * the chat user who asked (the callback is a public endpoint with no session).
 */
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import * as z from 'zod/mini';
import { detailsOf, OAuthError, kindOfOAuthErrorCode } from './errors';
import type { Clock, PendingAuthorization, StateStore } from './ports';
import type { ClientCredentials, ResolvedProvider } from './provider';
import { redactText } from './redact';
import './zod-messages';

export const DEFAULT_STATE_TTL_MS = 10 * 60 * 1000;

/** URL-safe random string of `bytes` random bytes (base64url, RFC 4648 §5). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * What a pending authorization keeps of the browser secret: its SHA-256, so a leaked store does not
 * hand out the cookie (RFC 9700 §4.7.1: bind the state to the user agent).
 */
export function browserBindingOf(browserSecret: string): string {
  return createHash('sha256').update(browserSecret, 'utf8').digest('base64url');
}

function sameBinding(expected: string, browserSecret: string | undefined): boolean {
  if (!browserSecret) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(browserBindingOf(browserSecret));
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(ASCII(verifier))). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export interface AuthorizationStart {
  url: string;
  state: string;
  expiresAt: number;
}

export async function beginAuthorization(args: {
  provider: ResolvedProvider;
  client: ClientCredentials;
  userId: string;
  /** Defaults to the provider's default scopes. */
  scopes?: ReadonlyArray<string>;
  states: StateStore;
  clock: Clock;
  ttlMs?: number;
  context?: Record<string, string>;
  /**
   * A secret the browser that starts the flow holds (an HttpOnly cookie): the response is accepted
   * only from a browser that presents it again (RFC 9700 §4.7, §2.1), so a provider URL opened in
   * someone else's browser binds nothing.
   */
  browserSecret?: string;
}): Promise<AuthorizationStart> {
  const { provider, client } = args;
  const scopes = [...(args.scopes ?? provider.scopes.default)];
  const state = randomToken(32);
  // RFC 7636 §4.1: 32 octets give a 43-character verifier, the recommended minimum entropy.
  const codeVerifier = provider.pkce ? randomToken(32) : undefined;
  const expiresAt = args.clock.now() + (args.ttlMs ?? DEFAULT_STATE_TTL_MS);

  // RFC 6749 §3.1: a query already in the endpoint URL is kept.
  const url = new URL(provider.endpoints.authorization);
  if (provider.consentForOfflineAccess && scopes.includes('offline_access')) url.searchParams.set('prompt', 'consent');
  // After the rule above: a preset's or an admin's `prompt` wins, and an empty value removes it.
  for (const [name, value] of Object.entries(provider.authorizationParams)) {
    if (value === '') url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  // Set after the preset's extras, so no preset can replace the parameters security rests on.
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', client.redirectUri);
  if (scopes.length) url.searchParams.set(provider.scopes.param, scopes.join(provider.scopes.delimiter));
  url.searchParams.set('state', state);
  if (codeVerifier) {
    url.searchParams.set('code_challenge', pkceChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }

  await args.states.put({
    state,
    userId: args.userId,
    providerId: provider.id,
    codeVerifier,
    redirectUri: client.redirectUri,
    scopes,
    expiresAt,
    context: args.context,
    browserBinding: args.browserSecret ? browserBindingOf(args.browserSecret) : undefined,
  });
  return { url: url.toString(), state, expiresAt };
}

/** The query of the redirect to the `complete` endpoint, validated at the edge. */
const callbackQuerySchema = z.object({
  state: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  code: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  error: z.optional(z.string().check(z.maxLength(256))),
  error_description: z.optional(z.string().check(z.maxLength(2048))),
  iss: z.optional(z.string().check(z.maxLength(2048))),
});

export type CallbackQuery = Record<string, string | string[] | undefined>;

/**
 * Takes the pending authorization the callback's `state` names (single use), and checks it:
 * unexpired, `iss` as RFC 9207 §2.4 asks, no error. Returns the pending record and the code.
 * Every refusal is an OAuthError; `access_denied` is its own kind so the page can say "you declined".
 */
export async function readAuthorizationResponse<Configured extends { provider: ResolvedProvider }>(args: {
  query: CallbackQuery;
  states: StateStore;
  clock: Clock;
  /** The provider the pending record names (and whatever the caller keeps with it); undefined when it is no longer configured. */
  providerOf: (providerId: string) => Promise<Configured | undefined>;
  /** The browser secret the callback's browser presented (its cookie), if any. */
  browserSecret?: string;
}): Promise<{ pending: PendingAuthorization; configured: Configured; code: string }> {
  const single = Object.fromEntries(Object.entries(args.query).map(([key, value]) => [key, Array.isArray(value) ? undefined : value]));
  // A repeated parameter is refused (RFC 6749 §3.1: parameters MUST NOT be included more than once).
  const repeated = Object.entries(args.query).find(([, value]) => Array.isArray(value));
  // The name is the visitor's: kept short, printable and quoted.
  if (repeated)
    throw new OAuthError(
      'invalid_state',
      `The authorization response repeats the parameter ${JSON.stringify(repeated[0].slice(0, 40).replace(/[^\x20-\x7E]/g, '?'))}`,
    );
  const parsed = callbackQuerySchema.safeParse(single);
  if (!parsed.success) throw new OAuthError('invalid_state', `The authorization response is malformed (${parsed.error.issues[0].path.join('.')})`);
  const query = parsed.data;
  if (!query.state) throw new OAuthError('invalid_state', 'The authorization response has no state');

  const pending = await args.states.take(query.state);
  if (!pending) throw new OAuthError('invalid_state', 'The state of the authorization response is unknown or was already used');
  // The state is spent either way: a response that came back to the wrong browser cannot be retried.
  if (pending.browserBinding && !sameBinding(pending.browserBinding, args.browserSecret)) {
    throw new OAuthError('invalid_state', 'The authorization response came back to another browser than the one that started it', {
      providerId: pending.providerId,
      reason: 'browser_mismatch',
      request: { userId: pending.userId, providerId: pending.providerId, context: pending.context },
    });
  }
  try {
    return await checkPendingResponse(pending, { ...query, state: query.state }, args);
  } catch (error) {
    throw withRequest(error, pending);
  }
}

/**
 * The failure again, now naming the request it concerns, so the platform can tell that user where
 * they asked: a new error of the same kind and details, the original as its `cause`.
 */
export function withRequest(error: unknown, pending: PendingAuthorization): unknown {
  if (!(error instanceof OAuthError)) return error;
  const request = { userId: pending.userId, providerId: pending.providerId, context: pending.context };
  return new OAuthError(error.kind, error.message, { ...detailsOf(error), request }, { cause: error });
}

async function checkPendingResponse<Configured extends { provider: ResolvedProvider }>(
  pending: PendingAuthorization,
  query: z.infer<typeof callbackQuerySchema> & { state: string },
  args: { clock: Clock; providerOf: (providerId: string) => Promise<Configured | undefined> },
): Promise<{ pending: PendingAuthorization; configured: Configured; code: string }> {
  if (pending.expiresAt <= args.clock.now()) {
    throw new OAuthError('invalid_state', 'The authorization request expired before it was completed', { providerId: pending.providerId });
  }
  const configured = await args.providerOf(pending.providerId);
  if (!configured) {
    throw new OAuthError('invalid_configuration', `The provider ${pending.providerId} is no longer configured`, { providerId: pending.providerId });
  }
  const { provider } = configured;

  // RFC 9207 §2.4: checked before anything else in the response is used, error responses included,
  // by simple string comparison (RFC 3986 §6.2.1): not even a trailing slash is forgiven.
  if (query.iss !== undefined) {
    if (provider.issuer && query.iss !== provider.issuer) {
      throw new OAuthError('invalid_state', `The authorization response comes from another issuer than ${provider.id}'s (possible mix-up attack)`, {
        providerId: provider.id,
      });
    }
  } else if (provider.issParameterRequired) {
    throw new OAuthError('invalid_state', `The authorization response of ${provider.id} lacks the iss parameter its metadata promises`, {
      providerId: provider.id,
    });
  }

  if (query.error) {
    const code = provider.errorCodes[query.error] ?? query.error;
    const description = query.error_description ? redactText(query.error_description, [query.code]).slice(0, 300) : undefined;
    // RFC 6749 §4.1.2.1: at the authorization endpoint, temporarily_unavailable means "start again".
    const kind = code === 'temporarily_unavailable' ? 'sign_in_incomplete' : kindOfOAuthErrorCode(code);
    throw new OAuthError(kind, `${provider.id} answered the authorization request with ${code}${description ? `: ${description}` : ''}`, {
      relayed: true,
      providerId: provider.id,
      oauthError: code,
      description,
    });
  }
  if (!query.code)
    throw new OAuthError('invalid_response', `The authorization response of ${provider.id} has neither code nor error`, {
      providerId: provider.id,
      relayed: true,
    });
  return { pending, configured, code: query.code };
}
