/**
 * The page frame of every provider page (login, consent, device verification, errors):
 * phone-first, accessible landmarks, one stylesheet, strict security headers.
 */
import type { Response } from 'express';
import { html, type SafeHtml } from './html.ts';
import { STYLESHEET_PATH } from './stylesheet.ts';

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly status?: number;
  /** Extra CSP directives or replacements, e.g. for form_post (form-action to the client). */
  readonly csp?: string;
}

const BASE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The CSP source that admits `uri`: its origin, or its scheme for private-use URIs (com.example.app:/cb). */
export function cspSource(uri: string): string {
  const u = new URL(uri);
  return u.origin !== 'null' ? u.origin : u.protocol;
}

/**
 * The page CSP with form submissions also allowed to reach `targets`. Browsers apply form-action
 * to the redirects that follow a submission, so a form whose answer redirects to a client (login,
 * consent, logout) must name the client's redirect URIs.
 */
export function cspAllowingFormsTo(targets: readonly string[]): string {
  const sources = [...new Set(targets.map(cspSource))];
  return sources.length ? BASE_CSP.replace("form-action 'self'", `form-action 'self' ${sources.join(' ')}`) : BASE_CSP;
}

/** Sends a full HTML page. */
export function sendPage(res: Response, options: PageOptions): void {
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · Nod</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="brand" role="banner"><span class="logo" aria-hidden="true">✓</span> Nod</header>
<main id="main">
${options.body}
</main>
</body>
</html>`;
  res
    .status(options.status ?? 200)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': options.csp ?? BASE_CSP,
    })
    .send(page.value);
}

/** An error page for the user (never a stack trace). */
export function sendErrorPage(res: Response, status: number, title: string, message: string): void {
  sendPage(res, {
    title,
    status,
    body: html`<section class="card" aria-labelledby="t"><h1 id="t">${title}</h1><p class="error" role="alert">${message}</p></section>`,
  });
}
