/**
 * The steps between a valid authorization request and its response: sign-in (when there is no
 * session, prompt=login, or max_age is exceeded), consent (unless remembered consent covers the
 * scopes, or prompt=consent), then the response. A request that has to wait for the user is kept
 * as an interaction; the login and consent pages come back to it by id.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Consent
 */
import type { Request, Response } from 'express';
import { ConsentRequired, InvalidRequest, LoginRequired } from '../../../shared/errors.ts';
import type { ProviderContext } from '../../context.ts';
import { PATHS } from '../../context.ts';
import { ttlOf } from '../../config.ts';
import type { Client } from '../../models/client.ts';
import type { Interaction } from '../../models/interaction.ts';
import { isLocked } from '../../models/user.ts';
import { addSessionClient, readSession, type CurrentSession } from '../../interaction/session.ts';
import { randomId } from '../../../shared/random.ts';
import { nowSeconds } from '../../../shared/time.ts';
import { loginUrl } from '../login.ts';
import { issueAuthorizationResponse } from './issue_response.ts';
import { sendAuthorizationResponse } from './respond.ts';

/** Where the login page returns to for interaction `id`. */
export const resumePath = (id: string): string => `${PATHS.authorization}/resume/${id}`;
/** The consent page of interaction `id`. */
export const consentPath = (id: string): string => `${PATHS.consent}/${id}`;
/** Remembered consent is stored under this key. */
export const consentKey = (sub: string, clientId: string): string => `${sub} ${clientId}`;

/** A stored interaction, or an unstored one for a request seen for the first time. */
export interface PendingInteraction {
  readonly id?: string;
  readonly interaction: Interaction;
}

/** The interaction for a new request: does it need a (fresh) sign-in? */
export function newInteraction(request: Interaction['request'], current: CurrentSession | undefined): PendingInteraction {
  const tooOld = current !== undefined && request.maxAge !== undefined && nowSeconds() - current.session.authTime > request.maxAge;
  const loginRequired = !current || request.prompt.includes('login') || tooOld;
  return { interaction: { request, loginRequired, ...(current && loginRequired ? { staleSid: current.sid } : {}) } };
}

/** True when the browser's current session satisfies the interaction's sign-in requirement. */
export function signedInFor(interaction: Interaction, current: CurrentSession | undefined): current is CurrentSession {
  return current !== undefined && !(interaction.loginRequired && current.sid === interaction.staleSid);
}

/** The interaction is unknown, expired or finished: shown as a page, never redirected. */
export class InteractionGone extends InvalidRequest {}

/** Loads a stored interaction; unknown or expired ones are shown as a page. */
export async function loadInteraction(ctx: ProviderContext, id: string | undefined): Promise<PendingInteraction & { id: string }> {
  const found = id && /^[A-Za-z0-9_-]{20,64}$/.test(id) ? await ctx.models.interactions.get(id) : undefined;
  if (!found || found.meta.consumedAt !== undefined) {
    throw new InteractionGone('This sign-in request has expired or was already completed. Go back to the application and start again.');
  }
  return { id: found.id, interaction: found.value };
}

async function save(ctx: ProviderContext, pending: PendingInteraction): Promise<string> {
  if (pending.id) return pending.id;
  const id = randomId(24);
  await ctx.models.interactions.put(id, pending.interaction, { expiresIn: ttlOf(ctx.config, 'interactionTtl') });
  return id;
}

/**
 * Moves the request on: to the login page, the consent page, or the response.
 * Throws login_required / consent_required for prompt=none (the caller redirects them).
 */
export async function continueAuthorization(ctx: ProviderContext, req: Request, res: Response, client: Client, pending: PendingInteraction): Promise<void> {
  const { request } = pending.interaction;
  const none = request.prompt.includes('none');
  const current = await readSession(ctx, req);
  const user = current && (await ctx.models.users.find(current.session.sub));
  if (!signedInFor(pending.interaction, current) || !user || isLocked(user)) {
    if (none) throw new LoginRequired('the user is not signed in');
    const id = await save(ctx, pending);
    return void res.redirect(303, loginUrl(resumePath(id), { login_hint: request.loginHint, client_id: client.client_id }));
  }
  const consent = await ctx.models.consents.find(consentKey(current.session.sub, client.client_id));
  const covered = consent !== undefined && request.scope.split(' ').every((s) => consent.scopes.includes(s));
  // Authorization details (a payment...) are approved one request at a time: never covered by remembered consent.
  if (!covered || request.prompt.includes('consent') || request.authorizationDetails) {
    if (none) {
      throw new ConsentRequired(
        request.authorizationDetails
          ? 'authorization_details need the user’s approval on the consent page'
          : 'the user has not approved this client for the requested scopes',
      );
    }
    const id = await save(ctx, pending);
    return void res.redirect(303, consentPath(id));
  }
  await finishAuthorization(ctx, res, client, pending, current);
}

/** Issues the response and sends it; a stored interaction is consumed first so it completes once. */
export async function finishAuthorization(
  ctx: ProviderContext,
  res: Response,
  client: Client,
  pending: PendingInteraction,
  current: CurrentSession,
): Promise<void> {
  if (pending.id) {
    const taken = await ctx.models.interactions.consume(pending.id);
    if (taken.outcome !== 'consumed') throw new InteractionGone('This sign-in request was already completed. Go back to the application.');
  }
  const { request } = pending.interaction;
  const params = await issueAuthorizationResponse(ctx, client, request, current);
  await addSessionClient(ctx, current, client.client_id);
  sendAuthorizationResponse(
    ctx,
    res,
    { clientId: client.client_id, redirectUri: request.redirectUri, mode: request.responseMode, state: request.state, session: current },
    params,
  );
}
