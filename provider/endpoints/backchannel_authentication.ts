/**
 * The backchannel authentication endpoint: authenticates the client, validates the request
 * (each check is one function, listed in order below), stores it, delegates it to the
 * authentication entity, and only once the entity accepted it answers
 * `{auth_req_id, expires_in, interval}` (and `binding_number` when number matching is on for the
 * client: ciba/number_matching.ts). If the entity does not accept, the request is removed
 * and the client gets 503.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7
 */
import type { ProviderContext } from '../context.ts';
import type { FormEndpoint } from '../middleware/form_endpoint.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import { cibaPolicy, fatigueOf } from '../ciba/policy.ts';
import { drawBindingNumber, usesNumberMatching } from '../ciba/number_matching.ts';
import { unpackSignedRequest } from '../ciba/request_object.ts';
import { assertCibaClient, assertNotLocked, checkHintAccepted, checkNotificationToken, checkRequestedExpiry, checkScope, pickHint } from '../ciba/checks.ts';
import { checkBindingMessage } from '../ciba/binding_message.ts';
import { resolveHint } from '../ciba/hints.ts';
import { checkUserCode } from '../ciba/user_code.ts';
import { checkAcrValues } from '../ciba/acr_values.ts';
import { checkAuthorizationDetails } from '../authorization_details/check.ts';
import { releaseFatigueSlot, reserveFatigueSlot } from '../ciba/fatigue.ts';
import { isConsentRequired } from '../ciba/consent.ts';
import { recordTtl, type CibaRequest } from '../ciba/request.ts';
import { hashSecret } from '../models/client.ts';
import { delegate, signDelegationToken } from '../ciba/delegation.ts';
import type { BackchannelAuthenticationResponse } from '../../shared/wire.ts';
import { AccessDenied } from '../../shared/errors.ts';
import { defined } from '../../shared/defined.ts';

const NO_CACHE = { Pragma: 'no-cache' } as const;

/** Bytes of CSPRNG output in an auth_req_id (256 bits; the spec asks for at least 128). */
const AUTH_REQ_ID_BYTES = 32;

export function backchannelAuthenticationEndpoint(ctx: ProviderContext): FormEndpoint {
  return async ({ params: form, authorization, ip }) => {
    const client = await authenticateClient(ctx, form, authorization, ctx.urls.backchannelAuthentication, ip);
    const policy = await cibaPolicy(ctx);
    const mode = assertCibaClient(client, policy);
    const params = await unpackSignedRequest(ctx, client, form);
    const scope = checkScope(client, params);
    const authorizationDetails = checkAuthorizationDetails(client, params.authorization_details);
    const acrValues = checkAcrValues(client, params);
    const hint = pickHint(params);
    checkHintAccepted(policy, hint);
    const bindingMessage = checkBindingMessage(params.binding_message, policy.bindingMessageMaxLength);
    const expiresIn = checkRequestedExpiry(params, client, policy);
    const notificationToken = checkNotificationToken(mode, params);
    const user = await resolveHint(ctx, client, policy, hint);
    assertNotLocked(user);
    await checkUserCode(ctx, client, user, params.user_code);
    const consentRequired = await isConsentRequired(ctx, user.sub, client.client_id, scope);
    const authReqId = randomId(AUTH_REQ_ID_BYTES);
    const bindingNumber = usesNumberMatching(client, policy) ? drawBindingNumber() : undefined;
    const now = nowSeconds();
    const fatigue = fatigueOf(client, policy);
    const holdsSlot = await reserveFatigueSlot(ctx, fatigue, user.sub, authReqId, now + expiresIn);
    const request: CibaRequest = {
      clientId: client.client_id,
      sub: user.sub,
      scope,
      mode,
      status: 'pending',
      jti: randomId(16),
      createdAt: now,
      expiresAt: now + expiresIn,
      interval: client.ciba_interval ?? policy.interval,
      consentRequired,
      ...defined({ bindingMessage, acrValues }),
      ...(authorizationDetails ? { authorizationDetails } : {}),
      ...defined({ notificationToken, bindingNumber }),
      ...(holdsSlot ? { fatigueWindow: fatigue.fatigueWindow } : {}),
    };
    // Stored before delegating: an entity may call back before it answers 201. Both ids are fresh
    // random values, so put (not insert) is enough. The commit that makes them durable runs while
    // the delegation travels (the client is answered only once both are done): the two waits
    // overlap instead of adding up.
    const ttl = { expiresIn: recordTtl(request.expiresAt), durable: false };
    let durable: Promise<void>;
    let token: string;
    try {
      // Signed first: the delegation record keeps the token's hash, so that its callback is known without a signature check.
      token = await signDelegationToken(ctx, { jti: request.jti, clientId: client.client_id, sub: user.sub, exp: request.expiresAt });
      await Promise.all([
        ctx.models.cibaRequests.put(authReqId, request, ttl),
        ctx.models.cibaDelegations.put(request.jti, { authReqId, tokenHash: hashSecret(token) }, ttl),
      ]);
      // The expiry watch's durable write is the commit that carries both records (one group commit
      // on lowdb); if the delegation fails below, the watch finds no request and does nothing.
      durable = ctx.ciba.watchExpiry(authReqId, request.expiresAt);
    } catch (e) {
      await releaseFatigueSlot(ctx, user.sub, authReqId).catch(() => undefined);
      throw e;
    }
    durable.catch(() => undefined); // awaited below; a failure must not go unhandled while the delegation runs
    const logFields = { jti: request.jti, clientId: client.client_id, sub: user.sub, mode, expiresIn };
    ctx.events.emit('backchannel_authentication.saved', { authReqId, ...logFields });

    try {
      await delegate(
        ctx,
        token,
        {
          login_hint: user.username,
          scope,
          is_consent_required: request.consentRequired,
          ...defined({ binding_message: bindingMessage, acr_values: request.acrValues }),
          client_id: client.client_id,
          ...(client.client_name ? { client_name: client.client_name } : {}),
          ...(authorizationDetails ? { authorization_details: authorizationDetails } : {}),
          ...defined({ binding_number: bindingNumber }),
        },
        policy.delegationTimeoutMs,
      );
    } catch (e) {
      await Promise.all([
        ctx.models.cibaRequests.delete(authReqId),
        ctx.models.cibaDelegations.delete(request.jti),
        releaseFatigueSlot(ctx, user.sub, authReqId),
      ]);
      if (e instanceof AccessDenied) ctx.events.emit('backchannel_authentication.refused', { authReqId, ...logFields, reason: e.description });
      else ctx.log.warn('backchannel_authentication.delegation_failed', { ...logFields, detail: (e as { detail?: string }).detail });
      throw e;
    }
    await durable;
    ctx.events.emit('backchannel_authentication.delegated', { authReqId, ...logFields });

    const body: BackchannelAuthenticationResponse = {
      auth_req_id: authReqId,
      expires_in: expiresIn,
      ...(mode !== 'push' ? { interval: request.interval } : {}),
      ...defined({ binding_number: bindingNumber }),
    };
    return { body, headers: NO_CACHE };
  };
}
