/**
 * Redaction: no client secret, token, authorization code, PKCE verifier or state may reach a log
 * line, an error message, a chat message or an HTML page. Two nets:
 *  1. the values themselves, when the caller knows them (`secrets`), are replaced wherever they occur;
 *  2. well-known carriers are masked even when the value is not known: `name=value` pairs in
 *     URLs and form bodies, `"name": "value"` in JSON, and `Authorization` credentials.
 * Objects are redacted structurally (`redactValue`, `redactStructured`): a member named like a
 * credential (`code`, `access_token`, an `Authorization` or `Cookie` header…) loses its value, the
 * rest of the object stays as it was.
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
  return walk(value, { secrets }, depth);
}

export interface RedactOptions {
  /** Values known to be secret, replaced wherever they occur (as in `redactText`). */
  secrets?: ReadonlyArray<string | undefined>;
  /**
   * Members of `object` whose values are secret although their names are ordinary, e.g. the
   * `value` of an object describing a password setting. Called for every object met.
   */
  secretMembers?: (object: Readonly<Record<string, unknown>>) => ReadonlyArray<string>;
  /** Strings that hold a JSON object or array are parsed, redacted as objects and written back. */
  parseJsonStrings?: boolean;
}

/**
 * `redactValue` for entries written by code that does not redact (a runtime's own debug log): walks
 * objects, arrays, and with `parseJsonStrings` JSON texts, so only the secret members are masked.
 */
export function redactStructured(value: unknown, options: RedactOptions = {}): unknown {
  return walk(value, options, 0);
}

const MAX_DEPTH = 8;

function walk(value: unknown, options: RedactOptions, depth: number): unknown {
  const secrets = options.secrets ?? [];
  if (typeof value === 'string') {
    const parsed = options.parseJsonStrings ? parseJsonText(value) : undefined;
    return parsed === undefined ? redactText(value, secrets) : JSON.stringify(walk(parsed, options, depth));
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[…]';
  if (value instanceof Error) {
    // A wrapped failure (ES2022 `cause`) is redacted like the error itself, so a wrapper hides nothing and leaks nothing.
    const cause = (value as { cause?: unknown }).cause;
    const redacted = { name: value.name, message: redactText(value.message, secrets) };
    return cause === undefined ? redacted : { ...redacted, cause: walk(cause, options, depth + 1) };
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, options, depth + 1));
  const object = value as Record<string, unknown>;
  const hidden = new Set(options.secretMembers?.(object) ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) {
    const secret = (isSecretKey(key) || hidden.has(key)) && item !== undefined && item !== null && item !== '';
    out[key] = secret ? REDACTED : walk(item, options, depth + 1);
  }
  return out;
}

/** The object or array a string holds as JSON text, or undefined. */
function parseJsonText(text: string): object | undefined {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// Header names are matched whatever their case: `Cookie`, `set-cookie`, `Proxy-Authorization`.
const SECRET_KEY = new RegExp(
  `^(${namesAlternation}|accessToken|refreshToken|idToken|codeVerifier|clientSecret|authorization|proxy-authorization|cookie|set-cookie|secret)$`,
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
