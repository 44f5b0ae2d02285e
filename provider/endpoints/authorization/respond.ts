/**
 * Sends an authorization response (success or error) back to the client's redirect URI in the
 * request's response mode, always with `iss` (RFC 9207) and `state` when the client sent one,
 * and `session_state` (Session Management 1.0) when the browser has a session.
 * @see https://openid.net/specs/openid-connect-session-1_0.html#CreatingUpdatingSessions
 * @see https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#ResponseModes
 * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2
 */
import type { Response } from 'express';
import type { OAuthError } from '../../../shared/errors.ts';
import type { ProviderContext } from '../../context.ts';
import type { CurrentSession } from '../../interaction/session.ts';
import { browserStateOf, sessionState, setSignedInBrowserState } from '../../interaction/browser_state.ts';
import { html } from '../../views/html.ts';
import { sendPage } from '../../views/layout.ts';
import type { ResponseMode } from './response_types.ts';
import { defined } from '../../../shared/defined.ts';

/** Where and how a response goes. */
export interface ResponseTarget {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly mode: ResponseMode;
  readonly state?: string;
  /** The browser's session, when it has one: the response then carries session_state. */
  readonly session?: CurrentSession;
}

/** Sends `params` plus iss and state to the client. */
export function sendAuthorizationResponse(ctx: ProviderContext, res: Response, target: ResponseTarget, params: Record<string, string>): void {
  const all: Record<string, string> = { ...params, ...defined({ state: target.state }), iss: ctx.config.issuer };
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  if (target.session) {
    const { sid, session } = target.session;
    all.session_state = sessionState(target.clientId, target.redirectUri, browserStateOf(ctx, sid, session));
    // Again with the response: a session from before this cookie existed gets it now.
    setSignedInBrowserState(ctx, res, sid, session);
  }
  if (target.mode === 'form_post') {
    sendFormPost(res, target.redirectUri, all);
    return;
  }
  if (target.mode === 'fragment') {
    redirect(res, `${target.redirectUri}#${new URLSearchParams(all)}`);
    return;
  }
  const url = new URL(target.redirectUri);
  for (const [k, v] of Object.entries(all)) url.searchParams.append(k, v);
  redirect(res, url.href);
}

/** A 303 without a body (express's default body would repeat the tokens in the URL). */
function redirect(res: Response, location: string): void {
  res.status(303).set('Location', location).end();
}

/** Sends a protocol error to the client. @see https://openid.net/specs/openid-connect-core-1_0.html#AuthError */
export function sendAuthorizationError(ctx: ProviderContext, res: Response, target: ResponseTarget, error: OAuthError): void {
  ctx.log.debug('authorization.refused', { error: error.error, detail: error.detail ?? error.description });
  sendAuthorizationResponse(ctx, res, target, { error: error.error, error_description: error.description });
}

/** The script of the form_post page, served at FORM_POST_SCRIPT_PATH (the page's CSP allows no inline script). */
export const FORM_POST_SCRIPT_PATH = '/assets/form-post.js';
export const FORM_POST_SCRIPT = "document.getElementById('response').submit();\n";

/** An auto-submitting form (with a visible Continue button for browsers without scripts). */
function sendFormPost(res: Response, action: string, fields: Record<string, string>): void {
  sendPage(res, {
    title: 'Continue',
    policy: { formTargets: [action] },
    scripts: [FORM_POST_SCRIPT_PATH],
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Returning to the app</h1>
<p class="muted">If nothing happens, select Continue.</p>
<form method="post" action="${action}" id="response">
${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>
</section>`,
  });
}
