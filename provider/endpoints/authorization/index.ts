/**
 * The authorization endpoint (GET and POST) and the point the login page returns to.
 * Client and redirect_uri are checked first: until they pass, errors are shown as a page;
 * afterwards every error goes back to the client in the request's response mode.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthorizationEndpoint
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
import type { RequestHandler, Response } from 'express';
import type { ProviderContext } from '../../context.ts';
import type { Client } from '../../models/client.ts';
import { toOAuthError } from '../../../shared/errors.ts';
import { readSession } from '../../interaction/session.ts';
import { readAuthorizationParams } from './read_params.ts';
import { checkClient } from './check_client.ts';
import { validateRequest } from './validate_request.ts';
import { continueAuthorization, InteractionGone, loadInteraction, newInteraction } from './interaction.ts';
import { sendAuthorizationError, type ResponseTarget } from './respond.ts';
import { defaultResponseMode, RESPONSE_MODES, returnsTokens, type ResponseMode } from './response_types.ts';
import type { Params } from '../../middleware/params.ts';
import type { AuthorizationRequest } from '../../models/interaction.ts';

/** The response mode for an error in a request that did not pass validation. */
function errorMode(params: Params): ResponseMode {
  const fallback = defaultResponseMode(params.response_type ?? '');
  const asked = params.response_mode as ResponseMode | undefined;
  if (!asked || !RESPONSE_MODES.includes(asked) || (asked === 'query' && returnsTokens(params.response_type ?? ''))) return fallback;
  return asked;
}

/** Runs `step`; protocol errors go to the client, except a gone interaction, which is a page. */
export async function redirectingErrors(ctx: ProviderContext, res: Response, target: ResponseTarget, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (e) {
    if (e instanceof InteractionGone || res.headersSent) throw e;
    const session = target.session ?? (await readSession(ctx, res.req).catch(() => undefined));
    sendAuthorizationError(ctx, res, { ...target, ...(session ? { session } : {}) }, toOAuthError(e, ctx.log, 'authorization'));
  }
}

/** Where a stored request's responses go. */
export const targetOf = (request: AuthorizationRequest): ResponseTarget => ({
  clientId: request.clientId,
  redirectUri: request.redirectUri,
  mode: request.responseMode,
  state: request.state,
});

/** GET and POST /authorize. */
export function authorizationEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const input = readAuthorizationParams(req);
    const { client, redirectUri } = await checkClient(ctx, input);
    const { params } = input;
    const target: ResponseTarget = { clientId: client.client_id, redirectUri, mode: errorMode(params), state: params.state };
    await redirectingErrors(ctx, res, target, async () => {
      if (input.problem) throw input.problem;
      const request = validateRequest(client, redirectUri, params);
      await continueAuthorization(ctx, req, res, client, newInteraction(request, await readSession(ctx, req)));
    });
  };
}

/** Loads an interaction's client (it may have been removed meanwhile). */
export async function interactionClient(ctx: ProviderContext, request: AuthorizationRequest): Promise<Client> {
  const client = await ctx.models.clients.find(request.clientId);
  if (!client?.redirect_uris.includes(request.redirectUri)) throw new InteractionGone('The application of this sign-in request is no longer registered.');
  return client;
}

/** GET /authorize/resume/:id — where the login page sends the browser back. */
export function resumeEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const pending = await loadInteraction(ctx, req.params.id as string | undefined);
    const client = await interactionClient(ctx, pending.interaction.request);
    await redirectingErrors(ctx, res, targetOf(pending.interaction.request), () => continueAuthorization(ctx, req, res, client, pending));
  };
}
