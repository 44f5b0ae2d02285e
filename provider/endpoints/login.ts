/**
 * The provider's sign-in page. Other pages send the browser here with a local `return_to`
 * and get it back signed in: GET /login?return_to=/path&login_hint=alice&client_id=demo-web.
 */
import type { Request, RequestHandler } from 'express';
import type { ProviderContext } from '../context.ts';
import { PATHS } from '../context.ts';
import { toParams } from '../middleware/params.ts';
import { checkCsrf, csrfToken, CSRF_FIELD } from '../interaction/csrf.ts';
import { authenticateUser, LoginFailure } from '../interaction/authenticate_user.ts';
import { startSession } from '../interaction/session.ts';
import { html } from '../views/html.ts';
import { sendPage } from '../views/layout.ts';

/** Only local absolute paths may be returned to (no open redirect). */
export function safeReturnTo(value: string | undefined): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\x00-\x1f]/.test(value)) return undefined;
  return value;
}

/** The URL of the login page that comes back to `returnTo`. */
export function loginUrl(returnTo: string, extra: { login_hint?: string; client_id?: string } = {}): string {
  const q = new URLSearchParams({ return_to: returnTo });
  if (extra.login_hint) q.set('login_hint', extra.login_hint);
  if (extra.client_id) q.set('client_id', extra.client_id);
  return `${PATHS.login}?${q}`;
}

async function clientName(ctx: ProviderContext, clientId: string | undefined): Promise<string | undefined> {
  if (!clientId) return undefined;
  const c = await ctx.models.clients.find(clientId);
  return c ? (c.client_name ?? c.client_id) : undefined;
}

/** The client's redirect URIs: after sign-in the redirect chain may end there (CSP form-action). */
async function clientRedirects(ctx: ProviderContext, clientId: string | undefined): Promise<readonly string[]> {
  return (clientId && (await ctx.models.clients.find(clientId))?.redirect_uris) || [];
}

function renderLogin(
  ctx: ProviderContext,
  req: Request,
  res: Parameters<RequestHandler>[1],
  o: { returnTo?: string; username?: string; clientId?: string; clientName?: string; redirects?: readonly string[]; error?: string; status?: number },
) {
  const token = csrfToken(ctx, req, res);
  sendPage(res, {
    title: 'Sign in',
    status: o.status,
    policy: { formTargets: o.redirects ?? [] },
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Sign in</h1>
${o.clientName ? html`<p class="muted">to continue to <span class="client">${o.clientName}</span></p>` : ''}
${o.error ? html`<p class="error" role="alert" id="login-error">${o.error}</p>` : ''}
<form method="post" action="${PATHS.login}" novalidate>
<input type="hidden" name="${CSRF_FIELD}" value="${token}">
${o.returnTo ? html`<input type="hidden" name="return_to" value="${o.returnTo}">` : ''}
${o.clientId ? html`<input type="hidden" name="client_id" value="${o.clientId}">` : ''}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${o.username ?? ''}" ${o.username ? '' : 'autofocus'} ${o.error ? html`aria-describedby="login-error"` : ''}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required ${o.username ? 'autofocus' : ''}>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>
</section>`,
  });
}

export function loginPage(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const q = toParams(req.query);
    renderLogin(ctx, req, res, {
      returnTo: safeReturnTo(q.return_to),
      username: q.login_hint,
      clientId: q.client_id,
      clientName: await clientName(ctx, q.client_id),
      redirects: await clientRedirects(ctx, q.client_id),
    });
  };
}

export function loginSubmit(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const form = toParams(req.body);
    checkCsrf(ctx, req, form[CSRF_FIELD]);
    const returnTo = safeReturnTo(form.return_to);
    const username = form.username ?? '';
    const shown = {
      returnTo,
      username,
      clientId: form.client_id,
      clientName: await clientName(ctx, form.client_id),
      redirects: await clientRedirects(ctx, form.client_id),
    };
    if (!username || !form.password) return renderLogin(ctx, req, res, { ...shown, error: 'Enter your username and password.', status: 400 });
    try {
      const user = await authenticateUser(ctx, username, form.password, req.ip ?? 'unknown');
      await startSession(ctx, req, res, user);
      ctx.log.info('login.success', { sub: user.sub });
      if (returnTo) return void res.redirect(303, returnTo);
      sendPage(res, {
        title: 'Signed in',
        body: html`<section class="card"><h1>Signed in</h1><p class="ok">You are signed in as ${user.username}.</p></section>`,
      });
    } catch (e) {
      if (!(e instanceof LoginFailure)) throw e;
      ctx.log.info('login.failure', { status: e.status });
      if (e.retryAfter !== undefined) res.set('Retry-After', String(Math.max(1, Math.ceil(e.retryAfter))));
      renderLogin(ctx, req, res, { ...shown, error: e.message, status: e.status });
    }
  };
}
