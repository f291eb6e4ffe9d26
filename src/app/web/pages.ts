/**
 * What the app's public endpoints answer: small HTML pages (success, denial, error, the
 * confirmation before leaving for the provider) and redirects, every one with the same security
 * headers. Every value is escaped; nothing secret is ever put in (messages are i18n strings with the
 * provider's and the account's names). The Content-Security-Policy allows nothing but the page's own
 * inline style, by hash, and, on the confirmation page only, a form posting to this endpoint that
 * may then be redirected to the provider (Chromium applies form-action to that redirect too).
 */
import { createHash } from 'crypto';
import type { WebAnswer } from './web';

const STYLE =
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:34rem;margin:12vh auto;padding:0 1.2rem;color:#1f2329;line-height:1.5}' +
  'h1{font-size:1.45rem;margin-bottom:.6rem}.ok{color:#148a60}.no{color:#9a6700}.ask{color:#1f2329}.err{color:#c0392b}p{margin:.4rem 0}.hint{color:#6c727a}' +
  'button{font:inherit;font-weight:600;margin-top:1rem;padding:.55rem 1.1rem;border:0;border-radius:.35rem;background:#1d74f5;color:#fff;cursor:pointer}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

function securityHeaders(formAction: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action ${formAction}; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** The headers of every answer of the app's public endpoints. */
export const PAGE_HEADERS: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', ...securityHeaders("'none'") };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export interface PageForm {
  /** Where the form posts: this endpoint, with the link in its query. */
  action: string;
  fields: Record<string, string>;
  button: string;
  /** The origin the POST's answer redirects to (the provider), allowed by form-action. */
  redirectsTo: string;
}

export function htmlPage(args: {
  status: number;
  tone: 'ok' | 'no' | 'err' | 'ask';
  title: string;
  message: string;
  hint: string;
  language: string;
  /** Paragraphs between the message and the hint. */
  details?: string[];
  form?: PageForm;
  headers?: Record<string, string>;
}): WebAnswer {
  const paragraphs = [args.message, ...(args.details ?? [])].map((text) => `<p>${escapeHtml(text)}</p>`).join('');
  const form = args.form
    ? `<form method="post" action="${escapeHtml(args.form.action)}">${Object.entries(args.form.fields)
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
        .join('')}<button type="submit">${escapeHtml(args.form.button)}</button></form>`
    : '';
  const content =
    `<!doctype html><html lang="${escapeHtml(args.language)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(args.title)}</title><style>${STYLE}</style></head>` +
    `<body><h1 class="${args.tone}">${escapeHtml(args.title)}</h1>${paragraphs}${form}<p class="hint">${escapeHtml(args.hint)}</p></body></html>`;
  const formAction = args.form ? `'self' ${new URL(args.form.redirectsTo).origin}` : "'none'";
  return answer({
    status: args.status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...securityHeaders(formAction), ...args.headers },
    body: content,
  });
}

/** A redirect (303: the browser follows it with a GET, whatever method brought it here). */
export function redirectTo(location: string, headers: Record<string, string> = {}): WebAnswer {
  return answer({ status: 303, headers: { ...PAGE_HEADERS, ...headers, location }, body: '' });
}

/** 405 for a method the endpoint does not serve, saying which it does (RFC 9110 §15.5.6). */
export function methodNotAllowed(allow: string[]): WebAnswer {
  return answer({
    status: 405,
    headers: { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8', allow: allow.join(', ') },
    body: 'Method Not Allowed',
  });
}

/** Every answer leaves through here: security headers on, unless the answer sets its own. */
export function answer(response: WebAnswer): WebAnswer {
  return { ...response, headers: { ...securityHeaders("'none'"), ...response.headers } };
}
