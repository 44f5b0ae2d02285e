/**
 * Test helpers for the device flow: a provider with device test clients, a cookie-jar
 * "phone browser" that drives the real verification and login pages over HTTP, and the
 * openid-client configuration of a device.
 */
import * as oidc from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { upsertClient } from '../../provider/demo.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import { Browser, decodeEntities, type Page as SharedPage } from '../helpers/browser-fetch.ts';

/** Device clients the tests register besides the demo's demo-tv. */
export const TEST_CLIENTS = {
  /** Public, 2-second lifetime: for expiry. */
  short: {
    client_id: 'test-tv-short',
    client_name: 'Short-lived TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT_TYPE],
    response_types: [],
    scope: 'openid profile',
    device_code_expires_in: 2,
    device_code_interval: 1,
  },
  /** Confidential, with its own interval. */
  secret: {
    client_id: 'test-console',
    client_name: 'Game Console',
    client_secret: 'console-secret-123',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
    response_types: [],
    scope: 'openid profile email offline_access',
    device_code_interval: 3,
  },
  /** A client without the device grant. */
  web: {
    client_id: 'test-web-only',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost/cb'],
    grant_types: ['authorization_code'],
    scope: 'openid',
  },
} as const;

/** A demo provider whose global device interval is 1 s (so polling tests are quick), plus the test clients. */
export async function startDeviceProvider(): Promise<TestProvider> {
  const p = await startTestProvider({ device: { expiresIn: 600, interval: 1 } });
  for (const c of Object.values(TEST_CLIENTS)) await upsertClient(p.ctx, { ...c, grant_types: [...c.grant_types] } as Record<string, unknown>);
  return p;
}

/** openid-client configuration for a device client of `issuer`. */
export async function deviceClient(
  issuer: string,
  clientId = 'demo-tv',
  auth: oidc.ClientAuth = oidc.None(),
  metadata?: Partial<oidc.ClientMetadata>,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface Page {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly headers: Headers;
  /** Visible text, tags stripped, whitespace collapsed. */
  readonly text: string;
  /** The shared test browser's view of the same page (forms parsed). */
  readonly page: SharedPage;
}

function view(page: SharedPage): Page {
  const text = decodeEntities(page.body.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  return { status: page.status, url: page.url.href, html: page.body, headers: page.headers, text, page };
}

/** The phone's browser: the shared test browser, on the provider's origin, with the device tests' vocabulary. */
export class PhoneBrowser {
  private readonly browser: Browser;
  constructor(
    readonly base: string,
    headers: Record<string, string> = {},
  ) {
    this.browser = new Browser({ origins: [base], headers });
  }

  async get(url: string): Promise<Page> {
    return view(await this.browser.get(new URL(url, this.base)));
  }

  /** Posts to `action` the hidden fields of the page's form with that action (else its first form) plus `fields`. */
  async submit(page: Page, action: string, fields: Record<string, string>): Promise<Page> {
    const target = new URL(action, page.url);
    const forms = page.page.forms;
    const form = forms.find((f) => f.action.pathname === target.pathname) ?? forms[0];
    return view(await this.browser.post(target, { ...form?.hidden, ...fields }));
  }
}

/** The value of the visible input `name` (the pre-filled code). */
export function inputValue(html: string, name: string): string | undefined {
  const tag = [...html.matchAll(/<input\b[^>]*>/g)].map((m) => m[0]).find((t) => t.includes(`name="${name}"`) && !t.includes('type="hidden"'));
  const v = tag && /value="([^"]*)"/.exec(tag)?.[1];
  return v === undefined || v === null ? undefined : decodeEntities(v);
}

/** Types `typed` into the code form of /device and continues; returns the page that follows. */
export async function enterCode(phone: PhoneBrowser, typed: string): Promise<Page> {
  const form = await phone.get('/device');
  return phone.submit(form, '/device', { user_code: typed });
}

/** Fills in the sign-in page. */
export async function signIn(phone: PhoneBrowser, page: Page, username = 'alice', password = 'wonderland'): Promise<Page> {
  if (!page.url.includes('/login')) throw new Error(`expected the sign-in page, got ${page.url}: ${page.text.slice(0, 200)}`);
  return phone.submit(page, '/login', { username, password });
}

/** The whole user part: enter the code, sign in if asked, then Approve or Deny. Returns the result page. */
export async function userDecides(
  phone: PhoneBrowser,
  typed: string,
  decision: 'approve' | 'deny',
  user?: { username: string; password: string },
): Promise<Page> {
  let page = await enterCode(phone, typed);
  if (page.url.includes('/login')) page = await signIn(phone, page, user?.username, user?.password);
  if (!page.url.includes('/device/confirm')) throw new Error(`expected the confirm page, got ${page.status} ${page.url}: ${page.text.slice(0, 300)}`);
  return phone.submit(page, '/device/confirm', { decision });
}

/** Raw token request for a device_code (to see each poll's answer). */
export async function pollOnce(issuer: string, deviceCode: string, clientId = 'demo-tv'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: clientId }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
