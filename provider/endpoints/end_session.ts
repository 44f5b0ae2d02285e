/**
 * RP-initiated logout (GET and POST /logout). With a valid id_token_hint for the signed-in user
 * the browser is signed out at once; otherwise the user confirms on a page first. Signing out
 * also ends the grants made in the session (as each client chose) and queues back-channel logout
 * tokens (logout/end_session_grants.ts). The browser then goes to post_logout_redirect_uri
 * (exactly as the client registered it, with state) or sees a "You are signed out" page.
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 */
import type { Request, RequestHandler, Response } from 'express';
import { errors as joseErrors, type JWTPayload } from 'jose';
import { InvalidRequest } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { PATHS } from '../context.ts';
import type { Client } from '../models/client.ts';
import { toParams, type Params } from '../middleware/params.ts';
import { checkCsrf, csrfToken, CSRF_FIELD } from '../interaction/csrf.ts';
import { endSession, readSession, type CurrentSession } from '../interaction/session.ts';
import { endSessionGrants } from '../logout/end_session_grants.ts';
import { publicSid } from '../interaction/sid.ts';
import { ID_TOKEN_ALGS } from '../models/client.ts';
import { html } from '../views/html.ts';
import { sendPage } from '../views/layout.ts';
import { defined } from '../../shared/defined.ts';

/** A logout request, checked. */
interface LogoutRequest {
  readonly client?: Client;
  /** The verified hint's claims (signature and issuer checked; expiry may be past). */
  readonly hint?: JWTPayload;
  readonly redirect?: string;
  readonly state?: string;
}

/** Verifies an ID token this provider issued; an expired one still names the user and client. */
async function verifyHint(ctx: ProviderContext, token: string): Promise<JWTPayload> {
  const options = { issuer: ctx.config.issuer, algorithms: [...ID_TOKEN_ALGS], typ: 'JWT' };
  try {
    return (await ctx.keys.verify(token, options)).payload;
  } catch (e) {
    // Claims are checked after the signature; exp is the last, so an expired token is otherwise valid.
    if (e instanceof joseErrors.JWTExpired && e.payload.iss === ctx.config.issuer) return e.payload;
    throw new InvalidRequest('The id_token_hint is not a valid ID token from this provider.');
  }
}

async function checkLogoutRequest(ctx: ProviderContext, params: Params): Promise<LogoutRequest> {
  const hint = params.id_token_hint ? await verifyHint(ctx, params.id_token_hint) : undefined;
  const hintClient = hint ? (typeof hint.azp === 'string' ? hint.azp : Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
  if (params.client_id && hintClient && params.client_id !== hintClient) throw new InvalidRequest('The client_id does not match the id_token_hint.');
  const clientId = params.client_id ?? hintClient;
  const client = clientId ? await ctx.models.clients.find(clientId) : undefined;
  if (clientId && !client) throw new InvalidRequest('The application that sent you here is not registered with Nod (unknown client_id).');
  const redirect = params.post_logout_redirect_uri;
  if (redirect !== undefined) {
    if (!client) throw new InvalidRequest('A post_logout_redirect_uri needs the client_id or an id_token_hint that names the application.');
    if (!client.post_logout_redirect_uris.includes(redirect)) {
      throw new InvalidRequest('The address to return to after signing out is not registered for this application, so Nod will not send you there.');
    }
  }
  return {
    ...(client ? { client } : {}),
    ...(hint ? { hint } : {}),
    ...(redirect ? { redirect } : {}),
    ...defined({ state: params.state }),
  };
}

/** Ends the session (its grants and the clients' sessions first: logout/end_session_grants.ts) and sends the browser on. */
async function signOut(ctx: ProviderContext, req: Request, res: Response, logout: LogoutRequest, current: CurrentSession | undefined): Promise<void> {
  if (current) await endSessionGrants(ctx, current.sid, current.session);
  const ended = await endSession(ctx, req, res);
  if (ended) ctx.events.emit('end_session.success', { sub: ended.sub, clientId: logout.client?.client_id });
  if (logout.redirect) {
    const url = new URL(logout.redirect);
    if (logout.state !== undefined) url.searchParams.append('state', logout.state);
    return void res.redirect(303, url.href);
  }
  sendPage(res, {
    title: 'Signed out',
    body: html`<section class="card" aria-labelledby="t"><h1 id="t">You are signed out</h1><p class="ok">You have signed out of Nod.</p>
<p class="muted">You can close this window${logout.client ? html` or go back to <span class="client">${logout.client.client_name ?? logout.client.client_id}</span>` : ''}.</p></section>`,
  });
}

function confirmPage(ctx: ProviderContext, req: Request, res: Response, logout: LogoutRequest): void {
  const token = csrfToken(ctx, req, res);
  const name = logout.client ? (logout.client.client_name ?? logout.client.client_id) : undefined;
  sendPage(res, {
    title: 'Sign out',
    policy: { formTargets: logout.redirect ? [logout.redirect] : [] },
    body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Sign out of Nod?</h1>
${name ? html`<p class="muted">Requested by <span class="client">${name}</span>.</p>` : ''}
<p>You will be signed out of Nod on this device.</p>
<form method="post" action="${PATHS.endSession}">
<input type="hidden" name="${CSRF_FIELD}" value="${token}">
<input type="hidden" name="logout" value="confirm">
${logout.client ? html`<input type="hidden" name="client_id" value="${logout.client.client_id}">` : ''}
${logout.redirect ? html`<input type="hidden" name="post_logout_redirect_uri" value="${logout.redirect}">` : ''}
${logout.state !== undefined ? html`<input type="hidden" name="state" value="${logout.state}">` : ''}
<div class="actions"><button type="submit" class="primary">Sign out</button></div>
</form>
</section>`,
  });
}

/** GET and POST /logout: an RP's logout request, or the confirmation form posted back. */
export function endSessionEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    if (req.method === 'POST' && !req.is('application/x-www-form-urlencoded')) throw new InvalidRequest('The logout request must be form-encoded.');
    const params = toParams(req.method === 'POST' ? req.body : req.query);
    const confirmed = req.method === 'POST' && params.logout === 'confirm';
    if (confirmed) checkCsrf(ctx, req, params[CSRF_FIELD]);
    const logout = await checkLogoutRequest(ctx, params);
    const current = await readSession(ctx, req);
    if (!current || confirmed) return signOut(ctx, req, res, logout, current);
    // The hint must name this browser's user (and, when it carries one, this session) to skip the question.
    const hintMatches =
      logout.hint !== undefined &&
      logout.hint.sub === current.session.sub &&
      (logout.hint.sid === undefined || logout.hint.sid === publicSid(ctx, current.sid));
    if (hintMatches) return signOut(ctx, req, res, logout, current);
    confirmPage(ctx, req, res, logout);
  };
}
