/**
 * The HTTP Authentication Channel callback (shared/auth-channel.ts; the same path relative to
 * the issuer as Keycloak's): the entity presents the delegation bearer token and the user's
 * decision. The token is accepted until its request is decided (its jti is consumed, and the
 * request moves out of pending once) and only before it expires; anything else is a 4xx and
 * changes nothing. One exception: the same token bringing the same status after it was accepted
 * is the entity retrying a callback whose 200 it never heard, and gets 200 again (nothing is
 * recorded twice), so the entity does not conclude that a decision the provider holds was
 * refused. SUCCEED approves (unless the account got locked meanwhile, or the request required a
 * passkey approval (acr phr) that the callback does not report: then the request ends denied and
 * the entity gets 403); UNAUTHORIZED and CANCELLED end as access_denied.
 */
import type { JsonBodyEndpoint } from '../middleware/form_endpoint.ts';
import { decodeJwt, type JWTPayload } from 'jose';
import { CALLBACK_STATUS, parseCallbackRequest, type CallbackStatus } from '../../shared/auth-channel.ts';
import { AccessDenied, ExpiredToken, InvalidGrant, InvalidRequest, InvalidToken } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { isLocked } from '../models/user.ts';
import { DELEGATION_TOKEN_ALG } from '../ciba/delegation.ts';
import { approveRequest, denyRequest } from '../ciba/decide.ts';
import type { CibaRequest } from '../ciba/request.ts';
import { matchesSecretHash } from '../models/client.ts';
import { nowSeconds } from '../../shared/time.ts';
import { approvalOf } from '../ciba/approval_acr.ts';

function invalidToken(description: string, detail?: string): InvalidToken {
  const e = new InvalidToken(description, detail);
  e.headers['WWW-Authenticate'] = `Bearer error="invalid_token", error_description="${description}"`;
  return e;
}

type DelegationClaims = JWTPayload & { jti: string; sub: string; azp: string };

/**
 * The delegation token from `Authorization: Bearer`, verified: either it is exactly the token
 * stored (by hash) for its `jti` when the request was delegated (we signed those very bytes, so
 * no signature check is needed), or its signature, iss, aud and exp are checked as for any JWT.
 */
async function verifyDelegationToken(ctx: ProviderContext, authorization: string | undefined): Promise<DelegationClaims> {
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '');
  if (!m) throw invalidToken('a Bearer delegation token is required');
  const token = m[1]!;
  const known = await knownDelegationToken(ctx, token);
  if (known) return known;
  try {
    const { payload } = await ctx.keys.verify(token, {
      issuer: ctx.config.issuer,
      audience: ctx.config.issuer,
      algorithms: [DELEGATION_TOKEN_ALG],
      requiredClaims: ['jti', 'sub', 'azp', 'exp'],
    });
    return payload as DelegationClaims;
  } catch (e) {
    throw invalidToken('the delegation token is invalid or expired', (e as Error).message);
  }
}

/** The claims of `token` if it is the very token stored for its jti and has not expired; else undefined (then the signature decides). */
async function knownDelegationToken(ctx: ProviderContext, token: string): Promise<DelegationClaims | undefined> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  if (typeof claims.jti !== 'string' || !claims.jti) return undefined;
  const stored = (await ctx.models.cibaDelegations.get(claims.jti))?.value.tokenHash;
  if (!stored || !matchesSecretHash(token, stored)) return undefined;
  if (typeof claims.sub !== 'string' || typeof claims.azp !== 'string' || typeof claims.exp !== 'number' || claims.exp <= nowSeconds()) return undefined;
  return claims as DelegationClaims;
}

/**
 * Consumes the token's jti and returns the still-pending request it was issued for; `repeat` when
 * this token's request already recorded this very status (the entity retrying a callback whose
 * answer it did not hear: a timeout, its node restarting before it wrote down the delivery).
 */
async function takePendingRequest(
  ctx: ProviderContext,
  claims: DelegationClaims,
  status: CallbackStatus,
): Promise<{ authReqId: string; request: CibaRequest } | 'repeat'> {
  // The token is marked used whatever node the entity's callbacks reach; made durable with the
  // decision it leads to (decide.ts: one commit), before the entity hears 200.
  const taken = await ctx.models.cibaDelegations.consume(claims.jti, { durable: false });
  if (taken.outcome === 'missing') throw new InvalidGrant('no pending request for this delegation token');
  // Used already: either its decision is recorded (the request is no longer pending: refused just
  // below), or an earlier attempt stopped between marking the token and recording the decision
  // (its node was killed; on Redis each write lands at once) and this is the entity's retry, which
  // must complete it rather than leave the request pending for good. One decision per request
  // holds all the same: settleRequest moves it out of pending once (a compare-and-set).
  const { authReqId } = taken.record.value;
  const found = await ctx.models.cibaRequests.get(authReqId);
  const request = found?.value;
  if (!found || !request || request.jti !== claims.jti || request.sub !== claims.sub || request.clientId !== claims.azp)
    throw new InvalidGrant('no pending request for this delegation token');
  if (request.status === 'withdrawn') throw new InvalidGrant('the client withdrew the request');
  if (taken.outcome === 'already_consumed' && request.acceptedCallback === status) return 'repeat';
  if (request.status !== 'pending' || found.meta.consumedAt !== undefined) throw new InvalidGrant('the request was already decided');
  if (Date.now() >= request.expiresAt * 1000) throw new ExpiredToken('the request has expired');
  return { authReqId, request };
}

export function cibaCallbackEndpoint(ctx: ProviderContext): JsonBodyEndpoint {
  return async (req) => {
    const claims = await verifyDelegationToken(ctx, req.authorization);
    if (!req.json) throw new InvalidRequest('the body must be application/json');
    // Parsed whole (acr and amr too) before the token is spent: a malformed body changes nothing.
    const callback = parseCallbackRequest(req.body);
    const { status } = callback;
    const taken = await takePendingRequest(ctx, claims, status);
    // Answered as the first time, and nothing is recorded twice.
    if (taken === 'repeat') {
      ctx.log.info('backchannel_authentication.callback_repeated', { jti: claims.jti, status });
      return { body: {} };
    }
    const { authReqId, request } = taken;
    if (status === CALLBACK_STATUS.approved) {
      const user = await ctx.models.users.find(request.sub);
      if (!user || isLocked(user)) {
        await denyRequest(ctx, authReqId, 'the user account is locked');
        throw new AccessDenied('the user account is locked; the request was denied');
      }
      const approval = approvalOf(request, callback);
      if ('refused' in approval) {
        await denyRequest(ctx, authReqId, approval.refused);
        throw new AccessDenied(`${approval.refused}; the request was denied`);
      }
      await approveRequest(ctx, authReqId, request, user, approval);
    } else {
      await denyRequest(ctx, authReqId, status === CALLBACK_STATUS.cancelled ? 'the user cancelled the request' : 'the user denied the request', status);
    }
    return { body: {} };
  };
}
