/**
 * Drives the provider's real login and consent pages with the test browser: opens an
 * authorization URL, signs in when the login page shows, answers the consent page when it shows,
 * and returns where the browser ended (normally the redirect to the client, or a form_post page).
 */
import { Browser, type Page } from './browser-fetch.ts';

export interface SignInOptions {
  readonly username?: string;
  readonly password?: string;
  /** The consent button to press when the consent page shows. Default 'Allow'. */
  readonly consent?: 'Allow' | 'Deny';
}

const isLoginPage = (page: Page) => page.forms.some((f) => 'password' in f.fields || f.buttons.some((b) => b.text === 'Sign in'));
const isConsentPage = (page: Page) => page.forms.some((f) => f.buttons.some((b) => b.text === 'Allow'));

/** A browser that visits only the provider at `issuer`. */
export function providerBrowser(issuer: string): Browser {
  return new Browser({ origins: [issuer] });
}

/** Runs an authorization request through login and consent as a user would. */
export async function authorize(browser: Browser, url: URL | string, options: SignInOptions = {}): Promise<Page> {
  let page = await browser.get(url);
  if (isLoginPage(page)) {
    page = await browser.submitForm(
      page,
      { username: options.username ?? 'alice', password: options.password ?? 'wonderland' },
      { form: (f) => 'password' in f.fields },
    );
  }
  if (isConsentPage(page)) page = await browser.submitForm(page, {}, { button: options.consent ?? 'Allow' });
  return page;
}

/** demo-web's first redirect URI (the one most tests use). */
export const DEMO_WEB_REDIRECT = 'http://localhost:8080/callback';

/** An authorization URL for demo-web (code, openid) with `params` on top; `undefined` removes a default. */
export function authorizationUrl(issuer: string, params: Record<string, string | undefined> = {}): URL {
  const all: Record<string, string | undefined> = { client_id: 'demo-web', redirect_uri: DEMO_WEB_REDIRECT, response_type: 'code', scope: 'openid', ...params };
  const url = new URL('/authorize', issuer);
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** POSTs a form to the provider's token endpoint (or another back-channel path) as demo-web unless `auth` says otherwise. */
export async function backChannel(
  issuer: string,
  path: string,
  body: Record<string, string>,
  auth: string | null = basicAuth('demo-web', 'demo-web-secret'),
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** An HTTP Basic header for client credentials (form-encoded first, RFC 6749 §2.3.1). */
export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
