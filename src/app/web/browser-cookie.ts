/**
 * The cookie that ties a connect flow to the browser that started it (RFC 9700 §4.7.1, §2.1). The
 * `connect` page sets it; the pending authorization keeps only its hash; `complete` wants it back.
 * HttpOnly (no script reads it), SameSite=Lax (sent on the provider's top-level redirect back, not
 * on a cross-site POST, which is what makes the confirmation form immune to cross-site requests),
 * Secure under https, and scoped to the app's public endpoints only.
 */
import { timingSafeEqual } from 'crypto';
import { randomToken } from '../../core/authorize';

export const BROWSER_COOKIE = 'oauth_browser';
/** As long as a Connect link lives. */
const MAX_AGE_S = 10 * 60;

/** The cookie's value in a request, when it has a well-formed one. */
export function browserSecretOf(headers: Record<string, string> | undefined): string | undefined {
  const header = headerOf(headers, 'cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== BROWSER_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}

export function newBrowserSecret(): string {
  return randomToken(32);
}

/** `Set-Cookie` for the secret, scoped to the app's public endpoints at `scope` (their base URL). */
export function browserCookie(secret: string, scope: string): string {
  const url = new URL(scope);
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  return `${BROWSER_COOKIE}=${secret}; Path=${url.pathname.replace(/\/+$/, '') || '/'}; Max-Age=${MAX_AGE_S}; HttpOnly; SameSite=Lax${secure}`;
}

/** Constant-time equality of two secrets. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A header by name, whatever its case (Rocket.Chat hands Node's lower-case names; be sure). */
export function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  const value = found ? headers[found] : undefined;
  return typeof value === 'string' ? value : undefined;
}
