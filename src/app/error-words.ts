/**
 * One table from the core's error kinds to what a user reads: words that say what to do, and
 * whether a Connect button helps. No error text from a server or a stack trace reaches a user.
 */
import { isOAuthError, type OAuthErrorKind, type ReconnectReason } from '../core/errors';
import type { MessageKey } from './i18n';

const MESSAGES: Record<OAuthErrorKind, { key: MessageKey; offerConnect: boolean }> = {
  not_connected: { key: 'error_not_connected', offerConnect: true },
  reconnect_required: { key: 'error_reconnect_required', offerConnect: true },
  provider_misconfigured: { key: 'error_provider_misconfigured', offerConnect: false },
  provider_unavailable: { key: 'error_provider_unavailable', offerConnect: false },
  invalid_response: { key: 'error_invalid_response', offerConnect: false },
  access_denied: { key: 'error_access_denied', offerConnect: true },
  invalid_state: { key: 'error_invalid_state', offerConnect: true },
  sign_in_incomplete: { key: 'error_sign_in_incomplete', offerConnect: true },
  invalid_configuration: { key: 'error_invalid_configuration', offerConnect: false },
};

/** `reconnect_required` says why, so the user reads "expired" or "could not be read" rather than "revoked". */
const RECONNECT: Record<ReconnectReason, MessageKey> = {
  grant_rejected: 'error_reconnect_required',
  expired: 'error_connection_expired',
  unreadable_record: 'error_record_unreadable',
};

export function messageForError(error: unknown): { key: MessageKey; offerConnect: boolean; expected: boolean } {
  if (isOAuthError(error, 'reconnect_required'))
    return { key: RECONNECT[(error.reason as ReconnectReason | undefined) ?? 'grant_rejected'], offerConnect: true, expected: true };
  if (isOAuthError(error, 'invalid_state') && error.reason === 'browser_mismatch') return { key: 'error_browser_mismatch', offerConnect: true, expected: true };
  if (isOAuthError(error)) return { ...MESSAGES[error.kind], expected: true };
  return { key: 'error_unexpected', offerConnect: false, expected: false };
}
