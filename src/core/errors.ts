/**
 * The error taxonomy of the core. Every failure a user can meet is one of these kinds, and the
 * platform adapter maps each kind to one message that says what to do; no user-facing text is
 * built here.
 *
 * Messages carry no secret: they are assembled from fixed words, HTTP statuses and OAuth error
 * codes, and any text that comes from a server (`error_description`) is passed through
 * `redactText` before it is kept.
 */

export type OAuthErrorKind =
  /** No token is stored for this user and provider: connect first. */
  | 'not_connected'
  /** The grant is dead (`invalid_grant`, revoked, expired without refresh token): connect again. */
  | 'reconnect_required'
  /** The provider rejects the app itself (`invalid_client`, `unauthorized_client`, redirect URI mismatch, wrong endpoint): an admin must fix the settings. */
  | 'provider_misconfigured'
  /** Timeouts, network failures, 5xx, 429: try again later. */
  | 'provider_unavailable'
  /** The server answered something that is not a valid OAuth response. */
  | 'invalid_response'
  /** The user declined consent (`error=access_denied`, RFC 6749 §4.1.2.1). */
  | 'access_denied'
  /** The authorization response cannot be trusted: unknown, replayed or expired `state`, a wrong `iss`, another browser. */
  | 'invalid_state'
  /**
   * The provider could not finish the sign-in this time (`login_required`, `consent_required`,
   * `interaction_required`, `account_selection_required`: OpenID Connect Core 1.0 §3.1.2.6;
   * `temporarily_unavailable`: RFC 6749 §4.1.2.1): starting again may work.
   */
  | 'sign_in_incomplete'
  /** A provider definition or client setting is invalid (found before any request is made). */
  | 'invalid_configuration';

/**
 * Why a connection must be made again, for `reconnect_required`: the provider refused the grant
 * (`invalid_grant`, a 401 the app cannot refresh its way out of), the token expired and no refresh
 * token came with it, or the stored record cannot be read (written by another version, or sealed under a key no longer held).
 */
export type ReconnectReason = 'grant_rejected' | 'expired' | 'unreadable_record';

/**
 * Why an authorization response is refused, for `invalid_state` where the user should hear more
 * than "expired or used": it came back to another browser than the one that started it.
 */
export type InvalidStateReason = 'browser_mismatch';

export type ErrorReason = ReconnectReason | InvalidStateReason;

export interface OAuthErrorDetails {
  /** For `reconnect_required` and `invalid_state`: why. */
  reason?: ErrorReason;
  /**
   * The provider said it through the user's browser (the authorization response, RFC 6749 §4.1.2),
   * not in an answer to the app: whoever holds the browser could have written it, so the browser's
   * request is what failed (a 4xx), not the app's call to the provider.
   */
  relayed?: boolean;
  /** The OAuth `error` code the server sent (RFC 6749 §5.2), when there was one. */
  oauthError?: string;
  /** The server's `error_description`, redacted. */
  description?: string;
  /** The HTTP status of the answer, when there was an answer. */
  status?: number;
  /** Whether repeating the same request later may succeed. */
  retryable?: boolean;
  /** The provider the error concerns. */
  providerId?: string;
  /** For `invalid_configuration`: the path of the offending field, e.g. `endpoints.token`. */
  field?: string;
  /** The authorization request a callback failure concerns, once its state was found (never the verifier). */
  request?: AuthorizationRequestRef;
}

export interface AuthorizationRequestRef {
  userId: string;
  providerId: string;
  context?: Record<string, string>;
}

/**
 * The ES2022 `ErrorOptions` (ECMA-262 §20.5.8.1 InstallErrorCause): the failure this one stands
 * for, so a wrapper keeps what it wraps. Declared here because the build's `lib` predates ES2022.
 */
export interface OAuthErrorOptions {
  cause?: unknown;
}

export class OAuthError extends Error {
  readonly kind: OAuthErrorKind;
  readonly oauthError?: string;
  readonly description?: string;
  readonly status?: number;
  readonly retryable: boolean;
  readonly providerId?: string;
  readonly field?: string;
  readonly reason?: ErrorReason;
  readonly relayed: boolean;
  /** Set at construction only: a failure found to concern a request is a new error, with the first as its `cause`. */
  readonly request?: AuthorizationRequestRef;
  /** The error this one wraps (ES2022 `Error.prototype.cause`), when there is one. */
  declare readonly cause?: unknown;

  constructor(kind: OAuthErrorKind, message: string, details: OAuthErrorDetails = {}, options: OAuthErrorOptions = {}) {
    super(message);
    // As InstallErrorCause does (ECMA-262 §20.5.8.1): an own, non-enumerable property, and only
    // when a cause was given, so JSON and structured clones of the error stay as they were.
    if ('cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true, enumerable: false });
    this.name = 'OAuthError';
    this.kind = kind;
    this.reason = details.reason ?? (kind === 'reconnect_required' ? 'grant_rejected' : undefined);
    this.relayed = details.relayed ?? false;
    this.oauthError = details.oauthError;
    this.description = details.description;
    this.status = details.status;
    this.retryable = details.retryable ?? kind === 'provider_unavailable';
    this.providerId = details.providerId;
    this.field = details.field;
    this.request = details.request;
  }
}

/** The details an error was made with, to make another of the same kind and details. */
export function detailsOf(error: OAuthError): OAuthErrorDetails {
  return {
    reason: error.reason,
    relayed: error.relayed,
    oauthError: error.oauthError,
    description: error.description,
    status: error.status,
    retryable: error.retryable,
    providerId: error.providerId,
    field: error.field,
    request: error.request,
  };
}

export function isOAuthError(error: unknown, kind?: OAuthErrorKind): error is OAuthError {
  return error instanceof OAuthError && (kind === undefined || error.kind === kind);
}

/**
 * Which kind an OAuth `error` code from the token or revocation endpoint means.
 * RFC 6749 §5.2 for the token endpoint codes, RFC 7009 §2.2.1 for `unsupported_token_type`.
 * Provider-specific codes are translated to these by the provider's preset (`errorCodes`).
 */
export function kindOfOAuthErrorCode(code: string): OAuthErrorKind {
  switch (code) {
    case 'invalid_grant':
      return 'reconnect_required';
    case 'invalid_client':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
    case 'invalid_scope':
    case 'redirect_uri_mismatch':
    case 'unsupported_token_type':
      return 'provider_misconfigured';
    case 'access_denied':
      return 'access_denied';
    case 'login_required':
    case 'consent_required':
    case 'interaction_required':
    case 'account_selection_required':
      return 'sign_in_incomplete';
    case 'temporarily_unavailable':
    case 'server_error':
    case 'slow_down':
      return 'provider_unavailable';
    default:
      // `invalid_request` and unknown codes: the request was not understood. Most often a
      // redirect_uri or parameter problem an admin can see in the settings.
      return 'provider_misconfigured';
  }
}
