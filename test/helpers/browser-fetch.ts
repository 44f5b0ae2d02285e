/**
 * A tiny browser for tests: fetch with a cookie jar, redirects followed by hand (so a test can
 * stop where the provider hands the browser back to a client), and HTML forms parsed and
 * submitted the way a browser would. Only for the server-rendered pages of this project:
 * forms, inputs and buttons are found with simple patterns, not a full HTML parser.
 *
 * const browser = new Browser({ origins: [issuer] });
 * let page = await browser.get(authorizationUrl);          // lands on the login page
 * page = await browser.submitForm(page, { username: 'alice', password: 'wonderland' });
 * page = await browser.submitForm(page, {}, { button: 'Allow' });
 * page.location                                            // the client's redirect URI with the response
 */

/** A parsed HTML form. */
export interface Form {
  readonly action: URL;
  readonly method: 'GET' | 'POST';
  /** Values of the form's inputs (hidden, text, ...), by name. */
  readonly fields: Readonly<Record<string, string>>;
  /** Just the hidden inputs, by name. */
  readonly hidden: Readonly<Record<string, string>>;
  /** Submit buttons with their label text. */
  readonly buttons: ReadonlyArray<{ readonly name?: string; readonly value?: string; readonly text: string }>;
}

/** What the browser ended on: a page from an allowed origin, or a redirect leaving them. */
export interface Page {
  readonly url: URL;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Set when the last response redirected to an origin the browser does not visit (e.g. a client's redirect URI). */
  readonly location?: URL;
  readonly forms: readonly Form[];
}

export interface BrowserOptions {
  /** Origins whose redirects are followed; a redirect anywhere else ends the navigation. */
  readonly origins: readonly string[];
  /** Longest redirect chain. Default 10. */
  readonly maxRedirects?: number;
  /** Headers sent with every request (e.g. X-Forwarded-For to stand for another address). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SubmitOptions {
  /** The form to submit: its index on the page, or a predicate. Default: the first form. */
  readonly form?: number | ((form: Form) => boolean);
  /** The label of the submit button to press (its name and value are sent). */
  readonly button?: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" };

/** Decodes the entities our pages produce in text and attributes. */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|apos|#x[0-9a-f]+|#\d+);/gi, (m, e: string) => {
    if (ENTITIES[e]) return ENTITIES[e]!;
    if (/^#x/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (/^#\d/.test(e)) return String.fromCodePoint(Number(e.slice(1)));
    return m;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** Finds the forms of an HTML page. */
export function parseForms(body: string, base: URL): Form[] {
  const forms: Form[] = [];
  for (const m of body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]!);
    const inner = m[2]!;
    const fields: Record<string, string> = {};
    const hidden: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]!);
      const type = (a.type ?? 'text').toLowerCase();
      if (!a.name || type === 'submit' || type === 'button' || ((type === 'checkbox' || type === 'radio') && !('checked' in a))) continue;
      fields[a.name] = a.value ?? (type === 'checkbox' ? 'on' : '');
      if (type === 'hidden') hidden[a.name] = fields[a.name]!;
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)]
      .map((b) => ({ attrs: attributes(b[1]!), text: decodeEntities(b[2]!.replace(/<[^>]*>/g, '')).trim() }))
      .filter((b) => (b.attrs.type ?? 'submit').toLowerCase() === 'submit')
      .map((b) => ({ ...(b.attrs.name ? { name: b.attrs.name } : {}), ...(b.attrs.value !== undefined ? { value: b.attrs.value } : {}), text: b.text }));
    forms.push({
      action: new URL(attrs.action ?? '', base),
      method: (attrs.method ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      fields,
      hidden,
      buttons,
    });
  }
  return forms;
}

/** Cookies by origin; `Max-Age=0` or a past `Expires` deletes. Paths and flags are ignored. */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 1) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const jar = this.byOrigin.get(url.origin) ?? new Map<string, string>();
      this.byOrigin.set(url.origin, jar);
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a) || (/^\s*expires\s*=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** The Cookie header for `url`, if any. */
  header(url: URL): string | undefined {
    const jar = this.byOrigin.get(url.origin);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(url: URL | string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }

  clear(): void {
    this.byOrigin.clear();
  }
}

export class Browser {
  readonly cookies = new CookieJar();
  private readonly origins: Set<string>;
  private readonly maxRedirects: number;
  private readonly extraHeaders: Readonly<Record<string, string>>;

  constructor(options: BrowserOptions) {
    this.extraHeaders = options.headers ?? {};
    this.origins = new Set(options.origins.map((o) => new URL(o).origin));
    this.maxRedirects = options.maxRedirects ?? 10;
  }

  /** Navigates to `url` (GET), following redirects within the allowed origins. */
  get(url: URL | string): Promise<Page> {
    return this.navigate(new URL(url), { method: 'GET' });
  }

  /** Sends a form-encoded POST to `url`, following redirects within the allowed origins. */
  post(url: URL | string, fields: Record<string, string>): Promise<Page> {
    return this.navigate(new URL(url), { method: 'POST', body: new URLSearchParams(fields) });
  }

  /** Fills in `fields` over the form's own values and submits it, as pressing a button would. */
  submitForm(page: Page, fields: Record<string, string> = {}, options: SubmitOptions = {}): Promise<Page> {
    const pick = options.form ?? 0;
    const form = typeof pick === 'number' ? page.forms[pick] : page.forms.find(pick);
    if (!form) throw new Error(`no such form on ${page.url.href} (status ${page.status}): ${page.body.slice(0, 500)}`);
    const values: Record<string, string> = { ...form.fields, ...fields };
    if (options.button !== undefined) {
      const button = form.buttons.find((b) => b.text === options.button);
      if (!button) throw new Error(`no button "${options.button}" in the form (buttons: ${form.buttons.map((b) => b.text).join(', ')})`);
      if (button.name) values[button.name] = button.value ?? '';
    }
    if (form.method === 'POST') return this.post(form.action, values);
    const url = new URL(form.action);
    url.search = new URLSearchParams(values).toString();
    return this.get(url);
  }

  private async navigate(start: URL, init: { method: 'GET' | 'POST'; body?: URLSearchParams }): Promise<Page> {
    let url = start;
    let request = init;
    for (let hop = 0; hop <= this.maxRedirects; hop++) {
      const headers: Record<string, string> = { accept: 'text/html', ...this.extraHeaders };
      const cookie = this.cookies.header(url);
      if (cookie) headers.cookie = cookie;
      const res = await fetch(url, { method: request.method, headers, body: request.body, redirect: 'manual' });
      this.cookies.store(url, res.headers);
      const body = await res.text();
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url);
        if (!this.origins.has(next.origin)) return { url, status: res.status, headers: res.headers, body, location: next, forms: [] };
        url = next;
        // 303 always, and 301/302 after POST, become GET (as browsers do); 307/308 repeat the request.
        if (res.status !== 307 && res.status !== 308) request = { method: 'GET' };
        continue;
      }
      return { url, status: res.status, headers: res.headers, body, forms: parseForms(body, url) };
    }
    throw new Error(`more than ${this.maxRedirects} redirects from ${start.href}`);
  }
}

/** The parameters of an authorization response, wherever the response mode put them. */
export function responseParams(page: Page): URLSearchParams {
  if (page.location) {
    return new URLSearchParams(page.location.hash ? page.location.hash.slice(1) : page.location.search);
  }
  const form = page.forms[0];
  if (!form) throw new Error(`no authorization response on ${page.url.href} (status ${page.status}): ${page.body.slice(0, 500)}`);
  return new URLSearchParams(form.fields);
}
