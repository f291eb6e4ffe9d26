/**
 * The small pages the browser sees after the provider: success, denial, error. Every value is
 * escaped; nothing secret is ever put in (messages are i18n strings with the provider's name).
 * The Content-Security-Policy allows nothing but the page's own inline style, by hash.
 */
import type { IApiResponse } from '@rocket.chat/apps-engine/definition/api';
import { createHash } from 'crypto';
import { toEngine } from '../engine-boundary';

const STYLE =
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:34rem;margin:12vh auto;padding:0 1.2rem;color:#1f2329;line-height:1.5}' +
  'h1{font-size:1.45rem;margin-bottom:.6rem}.ok{color:#148a60}.no{color:#9a6700}.err{color:#c0392b}p{margin:.4rem 0}.hint{color:#6c727a}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function htmlPage(args: { status: number; tone: 'ok' | 'no' | 'err'; title: string; message: string; hint: string; language: string }): IApiResponse {
  const content =
    `<!doctype html><html lang="${escapeHtml(args.language)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(args.title)}</title><style>${STYLE}</style></head>` +
    `<body><h1 class="${args.tone}">${escapeHtml(args.title)}</h1><p>${escapeHtml(args.message)}</p><p class="hint">${escapeHtml(args.hint)}</p></body></html>`;
  return toEngine({ status: args.status, headers: PAGE_HEADERS, content });
}
