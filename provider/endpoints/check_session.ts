/**
 * The OP iframe of Session Management 1.0 (`check_session_iframe`). A relying party embeds it
 * and posts `client_id + " " + session_state`; the page recomputes the hash from the client id,
 * the poster's origin, the browser state cookie and the salt, and answers `unchanged`,
 * `changed` or `error` (malformed message, or the browser state cannot be read: no cookie
 * because the browser blocks cookies in third-party frames, or no WebCrypto outside a secure
 * context). Only messages from the embedding window are answered, and only to its origin.
 * Framing by the relying parties is the point of this page, so its CSP says `frame-ancestors *`
 * and it sends no X-Frame-Options; it has no form, no link and nothing to click, and answers only
 * the origin that asks with a hash over that origin, so a site that is no client learns nothing
 * (naming every client's origin instead would cost a scan of all clients per page load). Its
 * script is a file (CHECK_SESSION_SCRIPT_PATH): no inline script.
 * @see https://openid.net/specs/openid-connect-session-1_0.html#OPiframe
 */
import type { RequestHandler } from 'express';
import type { ProviderContext } from '../context.ts';
import { pageSecurityHeaders } from '../../shared/http/security_headers.ts';
import { BROWSER_STATE_COOKIE } from '../interaction/browser_state.ts';

/** The page's script (served at CHECK_SESSION_SCRIPT_PATH); `unchanged` only when the recomputed hash equals the one posted. */
export const CHECK_SESSION_SCRIPT = `
const COOKIE = ${JSON.stringify(BROWSER_STATE_COOKIE)};
const MESSAGE = /^([A-Za-z0-9._~-]{1,128}) ([0-9a-f]{64})\\.([A-Za-z0-9_-]{1,64})$/;
function browserState() {
  const found = document.cookie.split('; ').find((c) => c.startsWith(COOKIE + '='));
  return found ? found.slice(COOKIE.length + 1) : undefined;
}
async function sha256hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
async function answer(data, origin) {
  const m = typeof data === 'string' ? MESSAGE.exec(data) : null;
  const state = browserState();
  if (!m || !state || !(window.crypto && crypto.subtle)) return 'error';
  const expiresAt = Number(state.split('_')[1]);
  if (expiresAt && expiresAt * 1000 <= Date.now()) return 'changed';
  return (await sha256hex(m[1] + ' ' + origin + ' ' + state + ' ' + m[3])) === m[2] ? 'unchanged' : 'changed';
}
window.addEventListener('message', async (e) => {
  if (e.source !== window.parent || e.source === window) return;
  let result = 'error';
  try { result = await answer(e.data, e.origin); } catch { result = 'error'; }
  e.source.postMessage(result, e.origin);
});
`;

/** Where the page's script is served (its CSP allows no inline script). */
export const CHECK_SESSION_SCRIPT_PATH = '/assets/check-session.js';

/** GET the OP iframe page: framable by any site, the one page that is. */
export function checkSessionEndpoint(): RequestHandler {
  return (_req, res) => {
    res
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...pageSecurityHeaders({ scripts: true, frameable: true }) })
      .send(
        `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Nod session check</title></head><body><script src="${CHECK_SESSION_SCRIPT_PATH}"></script></body></html>`,
      );
  };
}

/** Session Management's contribution to the discovery document. */
export function checkSessionMetadata(ctx: ProviderContext): Record<string, unknown> {
  return { check_session_iframe: ctx.urls.checkSession };
}
