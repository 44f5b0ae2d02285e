/**
 * Delegation reception: Keycloak's HTTP Authentication Channel (the contract and its body check
 * are shared/auth-channel.ts). The provider POSTs a JSON DelegationRequest with
 * `Authorization: Bearer <JWS>`. The token is verified before anything is stored: trusted `iss`,
 * signature by the issuer's JWKS, `aud` = `iss`, `exp` in the future, `jti` never seen. The
 * answer is 201 DelegationAccepted once the request is stored, or 403 access_denied when it can
 * never be approved (requests/passkey_possible.ts). The same path takes Nod's withdrawal notice
 * (auth-channel.ts WithdrawalNotice; endpoints/withdrawal.ts); a delegation's optional
 * `binding_number` (number matching) gets its candidates drawn here.
 * @see https://www.keycloak.org/docs/latest/server_admin/#_client_initiated_backchannel_authentication_grant
 */
import { type DelegationAccepted, isWithdrawalNotice, parseDelegationRequest, type WithdrawalAnswer } from '../../shared/auth-channel.ts';
import { InvalidToken } from '../../shared/errors.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { bearerTokenOf, withChallenge } from '../middleware/bearer.ts';
import type { JsonEndpoint } from './json_endpoint.ts';
import { nameKey, type PendingRequest, userKey } from '../models.ts';
import type { RequestLifecycle } from '../requests/lifecycle.ts';
import { verifyIssuerToken } from '../tokens/verify_issuer_token.ts';
import { assertPasskeyPossible } from '../requests/passkey_possible.ts';
import { numberChoices } from '../requests/number_choices.ts';
import { withdrawByToken } from './withdrawal.ts';
import { defined } from '../../shared/defined.ts';

export function delegationEndpoint(ctx: ServerContext, lifecycle: RequestLifecycle): JsonEndpoint {
  return async (req) => {
    const token = bearerTokenOf(req.authorization);
    const { issuer, payload } = await verifyIssuerToken(ctx.issuers, token, {
      issuers: ctx.config.trustedIssuers,
      audienceIsIssuer: true,
      requiredClaims: ['jti'],
    }).catch((e) => {
      throw e instanceof InvalidToken ? withChallenge(e) : e;
    });
    const exp = payload.exp!;
    if (typeof payload.jti !== 'string' || !payload.jti) throw withChallenge(new InvalidToken('the token has no jti'));
    if (isWithdrawalNotice(req.body)) {
      const r = await withdrawByToken(ctx, lifecycle, issuer, payload);
      const answer: WithdrawalAnswer = { id: r.id, status: r.status };
      return { status: 200, body: answer };
    }
    if (exp - nowSeconds() > defaults.maxRequestLifetime) throw withChallenge(new InvalidToken('the token lives longer than a request may'));
    const body = parseDelegationRequest(req.body);
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const azp = typeof payload.azp === 'string' ? payload.azp : undefined;
    const keys = { ...(sub ? { sub, userKey: userKey(issuer, sub) } : {}), nameKey: nameKey(issuer, body.login_hint) };
    // Refused before anything is stored: the provider may send the same token again later.
    await assertPasskeyPossible(ctx, { ...keys, login_hint: body.login_hint, ...defined({ acr_values: body.acr_values }) });
    const jtiKey = `${issuer} ${payload.jti}`;
    // Insert-if-absent: of two deliveries of one token, on any nodes, exactly one is accepted. Not
    // awaited for durability on its own: the request's durable write right after covers it (lowdb
    // commits both in one batch; Redis has applied it already).
    const ttl = Math.max(1, exp - nowSeconds() + defaults.clockTolerance);
    if (!(await ctx.models.jtis.insert(jtiKey, { at: nowSeconds() }, { expiresIn: ttl, durable: false }))) {
      ctx.log.warn('delegation.replayed', { issuer, jti: payload.jti });
      throw withChallenge(new InvalidToken('the token was already used'));
    }
    let record: PendingRequest;
    try {
      record = await lifecycle.accept({
        issuer,
        token,
        jti: payload.jti,
        ...keys,
        ...body,
        ...((body.client_id ?? azp) ? { client_id: body.client_id ?? azp } : {}),
        ...(body.binding_number !== undefined ? { number_choices: numberChoices(body.binding_number) } : {}),
        expires_at: exp,
      });
    } catch (e) {
      // Not accepted: the provider may deliver the same token again.
      await ctx.models.jtis.delete(jtiKey).catch(() => undefined);
      throw e;
    }
    const accepted: DelegationAccepted = { id: record.id, expires_at: record.expires_at };
    return { status: 201, body: accepted };
  };
}
