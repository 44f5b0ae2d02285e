/**
 * The page frame of every provider page (login, consent, device verification, errors):
 * phone-first, accessible landmarks, one stylesheet, strict security headers (the CSP of every
 * page comes from shared/http/security_headers.ts; scripts only as files of the provider).
 */
import type { Response } from 'express';
import { pageSecurityHeaders, type PagePolicy } from '../../shared/http/security_headers.ts';
import { html, type SafeHtml } from './html.ts';
import { STYLESHEET_PATH } from './stylesheet.ts';

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly status?: number;
  /** What the page may do beyond the strict default (shared/http/security_headers.ts): forms to a client, scripts. */
  readonly policy?: PagePolicy;
  /** Scripts of the page: paths of the provider's own script files (never inline). */
  readonly scripts?: readonly string[];
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
${(options.scripts ?? []).map((src) => html`<script src="${src}"></script>`)}
</body>
</html>`;
  res
    .status(options.status ?? 200)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      ...pageSecurityHeaders({ ...options.policy, scripts: Boolean(options.scripts?.length) }),
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
