/**
 * Redaction: no client secret, token, authorization code, PKCE verifier or state may reach a log
 * line, an error message, a chat message or an HTML page. Two nets:
 *  1. the values themselves, when the caller knows them (`secrets`), are replaced wherever they occur;
 *  2. well-known carriers are masked even when the value is not known: `name=value` pairs in
 *     URLs and form bodies, `"name": "value"` in JSON, and `Authorization` credentials.
 */

export const REDACTED = '[REDACTED]';

/** Parameter names whose values are credentials (RFC 6749, RFC 7636, RFC 7009, OpenID Connect Core). */
const SECRET_NAMES = [
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'state',
  'token',
  'password',
  'assertion',
];

const namesAlternation = SECRET_NAMES.join('|');
// `code=abc` in a query string or form body; stops at a separator.
const PAIR = new RegExp(`(^|[?&#;\\s])(${namesAlternation})=([^&#;\\s"']+)`, 'gi');
// `"access_token": "abc"` in JSON.
const JSON_PAIR = new RegExp(`("(?:${namesAlternation})"\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'gi');
// `Authorization: Bearer abc` / `Basic abc` in a header dump or message.
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g;

/** The shortest value we replace by value: shorter ones would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function redactText(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  const known = secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  for (const secret of known) {
    out = out.split(secret).join(REDACTED);
    // The same value may travel URL-encoded.
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  return out
    .replace(PAIR, (_m, sep: string, name: string) => `${sep}${name}=${REDACTED}`)
    .replace(JSON_PAIR, (_m, head: string) => `${head}"${REDACTED}"`)
    .replace(AUTH_HEADER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/**
 * Redacts any value before it is logged: strings as above, errors by message and stack, objects
 * by walking them (keys named like a secret lose their value whatever it is).
 */
export function redactValue(value: unknown, secrets: ReadonlyArray<string | undefined> = [], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[…]';
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, secrets) };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, secrets, depth + 1);
  }
  return out;
}

const SECRET_KEY = new RegExp(
  `^(${namesAlternation}|accessToken|refreshToken|idToken|codeVerifier|clientSecret|authorization|secret)$`,
  'i',
);

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A logger port: the platform supplies one; the core only logs through `redactingLogger`. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Wraps a logger so that every message and argument is redacted before it is written. */
export function redactingLogger(inner: Logger, secrets: () => ReadonlyArray<string | undefined> = () => []): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, ...args: unknown[]): void => {
      const known = secrets();
      inner[level](redactText(message, known), ...args.map((arg) => redactValue(arg, known)));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
