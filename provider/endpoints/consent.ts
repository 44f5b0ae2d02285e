/**
 * The consent page of a pending authorization request: the client's name, the scopes in words,
 * Allow and Deny. Allow remembers the consent for this client and these scopes; Deny sends
 * access_denied to the client.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Consent
 */
import type { Request, RequestHandler, Response } from 'express';
import { AccessDenied, InvalidRequest } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { rememberConsent } from '../ciba/consent.ts';
import type { Client } from '../models/client.ts';
import { toParams } from '../middleware/params.ts';
import { checkCsrf, csrfToken, CSRF_FIELD } from '../interaction/csrf.ts';
import { readSession, type CurrentSession } from '../interaction/session.ts';
import { html } from '../views/html.ts';
import { decisionForm, scopeList } from '../views/partials.ts';
import { authorizationDetailsList } from '../views/authorization_details.ts';
import { sendPage } from '../views/layout.ts';
import { loginUrl } from './login.ts';
import {
  consentPath,
  finishAuthorization,
  InteractionGone,
  loadInteraction,
  resumePath,
  signedInFor,
  type PendingInteraction,
} from './authorization/interaction.ts';
import { interactionClient, redirectingErrors, targetOf } from './authorization/index.ts';
import { sendAuthorizationError } from './authorization/respond.ts';

interface Loaded {
  readonly pending: PendingInteraction & { id: string };
  readonly client: Client;
  readonly current?: CurrentSession;
}

/** The interaction of this page, its client and the session (undefined when the user must sign in first). */
async function load(ctx: ProviderContext, req: Request): Promise<Loaded> {
  const pending = await loadInteraction(ctx, req.params.id as string | undefined);
  const client = await interactionClient(ctx, pending.interaction.request);
  const current = await readSession(ctx, req);
  return { pending, client, ...(signedInFor(pending.interaction, current) ? { current } : {}) };
}

function toLogin(res: Response, { pending, client }: Loaded): void {
  res.redirect(303, loginUrl(resumePath(pending.id), { login_hint: pending.interaction.request.loginHint, client_id: client.client_id }));
}

/** GET /consent/:id */
export function consentPage(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const loaded = await load(ctx, req);
    if (!loaded.current) return toLogin(res, loaded);
    const { pending, client, current } = loaded;
    const user = await ctx.models.users.find(current.session.sub);
    const name = client.client_name ?? client.client_id;
    const scopes = pending.interaction.request.scope.split(' ');
    const token = csrfToken(ctx, req, res);
    sendPage(res, {
      title: `Allow ${name}?`,
      policy: { formTargets: [pending.interaction.request.redirectUri] },
      body: html`<section class="card" aria-labelledby="t">
<h1 id="t">Allow <span class="client">${name}</span>?</h1>
${pending.interaction.request.authorizationDetails ? html`<p>It asks you to approve:</p>${authorizationDetailsList(pending.interaction.request.authorizationDetails)}` : ''}
<p class="muted">It will be able to:</p>
${scopeList(scopes)}
<p class="muted">Signed in as ${user?.name ?? user?.username ?? 'you'}. <a href="${loginUrl(resumePath(pending.id), { client_id: client.client_id })}">Not you?</a></p>
${decisionForm({ action: consentPath(pending.id), csrf: token, yes: ['allow', 'Allow'], no: ['deny', 'Deny'] })}
</section>`,
    });
  };
}

/** POST /consent/:id */
export function consentSubmit(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const form = toParams(req.body);
    checkCsrf(ctx, req, form[CSRF_FIELD]);
    const loaded = await load(ctx, req);
    if (!loaded.current) return toLogin(res, loaded);
    const { pending, client, current } = loaded;
    const { request } = pending.interaction;
    if (form.decision !== 'allow' && form.decision !== 'deny') throw new InvalidRequest('Choose Allow or Deny.');
    await redirectingErrors(ctx, res, targetOf(request), async () => {
      if (form.decision === 'deny') {
        const taken = await ctx.models.interactions.consume(pending.id);
        if (taken.outcome !== 'consumed') throw new InteractionGone('This sign-in request was already completed. Go back to the application.');
        ctx.events.emit('consent.denied', { clientId: client.client_id, sub: current.session.sub });
        return sendAuthorizationError(ctx, res, { ...targetOf(request), session: current }, new AccessDenied('the user denied the request'));
      }
      await rememberConsent(ctx, current.session.sub, client.client_id, request.scope);
      await finishAuthorization(ctx, res, client, pending, current);
    });
  };
}
