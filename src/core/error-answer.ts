/**
 * Errors inside successful answers. RFC 6749 §5.2 puts an error in a 400 with an `error` member;
 * some providers answer HTTP 200 and flag the failure in the body instead (Slack's Web API: `ok:
 * false` + `error`). A provider's definition says where its flag and code are (`errorAnswer`), and
 * every endpoint reader asks here, so no reader knows any provider's shape.
 */
import { decodeBody, readPath } from './http';
import type { HttpResponse } from './ports';
import type { ProviderDefinition } from './provider';

export interface FlaggedError {
  /** The provider's code at `errorAnswer.codePath`, when it gave one. */
  code?: string;
}

/** The error an answer's body flags, per the provider's `errorAnswer`; undefined when it flags none or the provider declares no flag. */
export function flaggedError(provider: Pick<ProviderDefinition, 'errorAnswer'>, fields: Record<string, unknown> | undefined): FlaggedError | undefined {
  const rule = provider.errorAnswer;
  if (!rule || !fields) return undefined;
  const flag = readPath(fields, rule.flagPath.split('.'));
  const flagged = rule.flagValue === undefined ? flag !== undefined && flag !== null && flag !== false && flag !== '' : flag === rule.flagValue;
  if (!flagged) return undefined;
  const code = readPath(fields, rule.codePath.split('.'));
  if (typeof code === 'string' && code !== '') return { code };
  if (typeof code === 'number') return { code: String(code) };
  return {};
}

/** The flag and its value as the definition names them, for messages: `ok: false`. */
export function describeFlag(provider: Pick<ProviderDefinition, 'errorAnswer'>): string {
  const rule = provider.errorAnswer;
  if (!rule) return 'an error';
  return rule.flagValue === undefined ? `an error in ${rule.flagPath}` : `${rule.flagPath}: ${JSON.stringify(rule.flagValue)}`;
}

/**
 * RFC 6750 §3.1: a 401 says the access token is refused; so does a 2xx whose flagged error code is
 * one of the provider's `errorAnswer.tokenRefused` (Slack: HTTP 200 with `error: invalid_auth`).
 */
export function isTokenRefused(provider: Pick<ProviderDefinition, 'errorAnswer'>, response: HttpResponse): boolean {
  if (response.status === 401) return true;
  if (response.status < 200 || response.status > 299 || !provider.errorAnswer?.tokenRefused.length) return false;
  const code = flaggedError(provider, decodeBody(response).fields)?.code;
  return code !== undefined && provider.errorAnswer.tokenRefused.includes(code);
}
