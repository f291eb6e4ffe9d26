/**
 * A browser as the app's public endpoints see it: one cookie jar for the chat server's origin (the
 * flow cookie the `connect` page sets), following the Connect button the way a person does: open
 * the link, read the confirmation page, press its button, land at the provider. Each instance is one
 * browser; a second instance is someone else's browser.
 */
import { CookieJar } from './user-agent';

export interface ConfirmationPage {
  status: number;
  html: string;
  /** The form's action (absolute) and hidden fields, when the page has the button. */
  form?: { action: URL; fields: Record<string, string> };
}

export class AppBrowser {
  readonly jar = new CookieJar();

  /** A request with this browser's cookies, storing what the answer sets; redirects not followed. */
  async fetch(url: string | URL, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = this.jar.header(target);
    const response = await fetch(target, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    this.jar.store(target, response.headers.getSetCookie());
    return response;
  }

  /** Opens a Connect link: the confirmation page. */
  async open(link: string): Promise<ConfirmationPage> {
    const response = await this.fetch(link);
    const html = await response.text();
    const form = /<form method="post" action="([^"]+)">(.*?)<button/s.exec(html);
    if (!form) return { status: response.status, html };
    const fields = Object.fromEntries(
      [...form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [unescape(m[1]), unescape(m[2])]),
    );
    return { status: response.status, html, form: { action: new URL(unescape(form[1]), link), fields } };
  }

  /** Presses the page's button: answers the POST (a 303 to the provider when all is well). */
  submit(page: ConfirmationPage, fields: Record<string, string> = page.form!.fields): Promise<Response> {
    return this.fetch(page.form!.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Opens the link and presses the button; answers the provider URL the app sent the browser to. */
  async startConnect(link: string): Promise<string> {
    const page = await this.open(link);
    if (page.status !== 200 || !page.form) throw new Error(`the Connect link answered ${page.status} without a confirmation form`);
    const response = await this.submit(page);
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status !== 303 || !location) throw new Error(`pressing Continue answered ${response.status}, not a redirect to the provider`);
    return location;
  }
}

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] as string);
}
