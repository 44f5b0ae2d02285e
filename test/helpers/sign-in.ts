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
    page = await browser.submitForm(page, { username: options.username ?? 'alice', password: options.password ?? 'wonderland' }, { form: (f) => 'password' in f.fields });
  }
  if (isConsentPage(page)) page = await browser.submitForm(page, {}, { button: options.consent ?? 'Allow' });
  return page;
}
