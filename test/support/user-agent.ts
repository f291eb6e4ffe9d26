/**
 * A scripted, browser-like user agent for the test authorization servers.
 *
 * authorizeAs() follows redirects by hand (fetch with redirect: 'manual') with its own cookie jar,
 * fresh for every call (no single sign-on leaks between users), and logs in:
 * - oidc-provider (test/servers/oidc-server.mjs): on the /interaction/:uid page it goes to
 *   /interaction/:uid/login?account=<account> or /interaction/:uid/deny;
 * - node-oauth2-server: test_account / test_decision are appended to the first request
 *   (oidc-provider ignores those unknown parameters).
 * It returns the URL of the first redirect whose target starts with redirectUriPrefix, WITHOUT
 * fetching it (the client's callback is not a real server).
 */

export interface AuthorizeAsOptions {
  /** alice | bob | carol */
  account: string;
  /** default 'approve' */
  decision?: 'approve' | 'deny';
  /** The client's redirect URI (or a prefix of it): the flow stops at a redirect there. */
  redirectUriPrefix: string;
  /**
   * Where a URL is really served (a provider emulator standing in for https://github.com, say): the
   * browser's own hosts file. Default: as it is.
   */
  resolve?: (url: URL) => URL;
}

const MAX_HOPS = 20;

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires?: number;
  secure: boolean;
}

/** A small RFC 6265 cookie jar: host-only cookies, Path matching, Max-Age/Expires deletion. */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  store(url: URL, setCookieHeaders: string[]): void {
    for (const header of setCookieHeaders) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        path: defaultPath(url.pathname),
        secure: false,
      };
      let maxAge: number | undefined;
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const val = i === -1 ? '' : attr.slice(i + 1).trim();
        if (key === 'path' && val.startsWith('/')) cookie.path = val;
        else if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
        else if (key === 'expires' && !Number.isNaN(Date.parse(val))) cookie.expires = Date.parse(val);
        else if (key === 'secure') cookie.secure = true;
      }
      if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
      if (cookie.expires === undefined || cookie.expires > Date.now()) this.cookies.push(cookie);
    }
  }

  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = this.cookies
      .filter((c) => c.host === url.hostname)
      .filter((c) => c.expires === undefined || c.expires > now)
      .filter((c) => !c.secure || url.protocol === 'https:')
      .filter((c) => pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function defaultPath(path: string): string {
  if (!path.startsWith('/')) return '/';
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/** A short, non-secret excerpt of an error page: text only, no query strings. */
function excerpt(body: string): string {
  return body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

const where = (url: URL): string => `${url.origin}${url.pathname}`;

export async function authorizeAs(authorizationUrl: string, opts: AuthorizeAsOptions): Promise<URL> {
  const decision = opts.decision ?? 'approve';
  const jar = new CookieJar();

  let url = new URL(authorizationUrl);
  url.searchParams.set('test_account', opts.account);
  url.searchParams.set('test_decision', decision);

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const cookie = jar.header(url);
    const res = await fetch(opts.resolve ? opts.resolve(url) : url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    jar.store(url, res.headers.getSetCookie());
    const location = res.headers.get('location');

    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      const next = new URL(location, url);
      if (next.href.startsWith(opts.redirectUriPrefix)) return next;
      url = next;
      continue;
    }

    const body = await res.text();
    const interaction = /^\/interaction\/([^/]+)$/.exec(url.pathname);
    if (res.status === 200 && interaction) {
      const uid = interaction[1];
      url =
        decision === 'deny' ? new URL(`/interaction/${uid}/deny`, url) : new URL(`/interaction/${uid}/login?account=${encodeURIComponent(opts.account)}`, url);
      continue;
    }

    throw new Error(
      `authorizeAs(${opts.account}): expected a redirect to ${opts.redirectUriPrefix}, ` +
        `got ${res.status} at ${where(url)}: ${excerpt(body) || '(empty body)'}`,
    );
  }
  throw new Error(`authorizeAs(${opts.account}): more than ${MAX_HOPS} redirects, last at ${where(url)}`);
}
