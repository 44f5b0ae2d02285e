/**
 * The pages of the device verification flow (RFC 8628 section 3.3): enter the code, confirm
 * the device and what it may do, and the result. Phone-first; every state says plainly what
 * happened and what to do next.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import type { Response } from 'express';
import { CSRF_FIELD } from '../interaction/csrf.ts';
import { html } from './html.ts';
import { decisionForm, scopeList } from './partials.ts';
import { sendPage } from './layout.ts';
import { authorizationDetailsList } from './authorization_details.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';

export interface EntryPageInput {
  readonly action: string;
  readonly csrf: string;
  /** Pre-filled code (from verification_uri_complete or the previous attempt). */
  readonly value?: string;
  readonly error?: string;
  readonly status?: number;
  readonly signedInAs?: string;
}

/** Asks for the code shown on the device. */
export function sendEntryPage(res: Response, o: EntryPageInput): void {
  sendPage(res, {
    title: 'Connect a device',
    status: o.status,
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Connect a device</h1>
<p>Enter the code shown on your TV or other device.</p>
${o.error ? html`<p class="error" role="alert" id="code-error">${o.error}</p>` : ''}
<form method="post" action="${o.action}" novalidate>
<input type="hidden" name="${CSRF_FIELD}" value="${o.csrf}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" class="code-input" value="${o.value ?? ''}" maxlength="24" autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" enterkeyhint="go" required autofocus aria-describedby="${o.error ? 'code-error ' : ''}code-hint">
<p class="muted hint" id="code-hint">8 letters, for example WDJB-MJHT. Dashes and spaces do not matter.</p>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>
${o.signedInAs ? html`<p class="muted small">Signed in as ${o.signedInAs}.</p>` : ''}
</section>`,
  });
}

export interface ConfirmPageInput {
  readonly action: string;
  readonly csrf: string;
  readonly userCode: string;
  readonly proof: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  readonly signedInAs: string;
  readonly switchUserUrl: string;
}

/** Shows the device, the code to compare and what it may do; the user approves or denies. */
export function sendConfirmPage(res: Response, o: ConfirmPageInput): void {
  sendPage(res, {
    title: `Connect ${o.clientName}`,
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Connect <span class="client">${o.clientName}</span>?</h1>
<p>Check that this code matches the one on your device:</p>
<p class="code">${o.userCode}</p>
<p>If it does not match, choose <strong>Deny</strong>: someone else may be trying to use your account.</p>
${o.authorizationDetails ? html`<h2 class="subhead">${o.clientName} asks you to approve</h2>${authorizationDetailsList(o.authorizationDetails)}` : ''}
${o.scopes.length ? html`<h2 class="subhead">${o.clientName} will be able to</h2>${scopeList(o.scopes)}` : ''}
${decisionForm({ action: o.action, csrf: o.csrf, hidden: { user_code: o.userCode, proof: o.proof }, yes: ['approve', 'Approve'], no: ['deny', 'Deny'] })}
<p class="muted small">Signed in as ${o.signedInAs}. <a href="${o.switchUserUrl}">Not you?</a></p>
</section>`,
  });
}

/** The end of the flow (or a code that can no longer be used): what happened and what to do now. */
export function sendResultPage(res: Response, o: { title: string; message: string; next: string; tone: 'ok' | 'error' | 'neutral'; status?: number }): void {
  sendPage(res, {
    title: o.title,
    status: o.status,
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">${o.title}</h1>
<p class="${o.tone === 'neutral' ? 'lead' : o.tone}" role="status">${o.message}</p>
<p>${o.next}</p>
</section>`,
  });
}
