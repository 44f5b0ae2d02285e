/**
 * Delegation reception: Keycloak's HTTP Authentication Channel (the contract and its body check
 * are shared/auth-channel.ts). The provider POSTs a JSON DelegationRequest with
 * `Authorization: Bearer <JWS>`. The token is verified before anything is stored: trusted `iss`,
 * signature by the issuer's JWKS, `aud` = `iss`, `exp` in the future, `jti` never seen. The
 * answer is 201 DelegationAccepted once the request is stored.
 * @see https://www.keycloak.org/docs/latest/server_admin/#_client_initiated_backchannel_authentication_grant
 */
import type { RequestHandler } from 'express';
import { type DelegationAccepted, parseDelegationRequest } from '../../shared/auth-channel.ts';
import { InvalidToken } from '../../shared/errors.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { bearerToken, withChallenge } from '../middleware/bearer.ts';
import { nameKey, userKey } from '../models.ts';
import type { RequestLifecycle } from '../requests/lifecycle.ts';
import { verifyIssuerToken } from '../tokens/verify_issuer_token.ts';

export function delegationEndpoint(ctx: ServerContext, lifecycle: RequestLifecycle): RequestHandler {
  /** jtis being accepted right now: makes check-then-store atomic within this process. */
  const inFlight = new Set<string>();
  return async (req, res) => {
    const token = bearerToken(req);
    const { issuer, payload } = await verifyIssuerToken(ctx.issuers, token, {
      issuers: ctx.config.trustedIssuers,
      audienceIsIssuer: true,
      requiredClaims: ['jti'],
    }).catch((e) => {
      throw e instanceof InvalidToken ? withChallenge(e) : e;
    });
    const exp = payload.exp!;
    if (typeof payload.jti !== 'string' || !payload.jti) throw withChallenge(new InvalidToken('the token has no jti'));
    if (exp - nowSeconds() > defaults.maxRequestLifetime) throw withChallenge(new InvalidToken('the token lives longer than a request may'));
    const body = parseDelegationRequest(req.body);
    const jtiKey = `${issuer} ${payload.jti}`;
    if (inFlight.has(jtiKey) || (await ctx.models.jtis.find(jtiKey))) {
      ctx.log.warn('delegation.replayed', { issuer, jti: payload.jti });
      throw withChallenge(new InvalidToken('the token was already used'));
    }
    inFlight.add(jtiKey);
    try {
      const ttl = Math.max(1, exp - nowSeconds() + defaults.clockTolerance);
      const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
      const azp = typeof payload.azp === 'string' ? payload.azp : undefined;
      // The replay record and the request go into one group commit (one durable write, not two in a row).
      const [, record] = await Promise.all([
        ctx.models.jtis.upsert(jtiKey, { at: nowSeconds() }, ttl),
        lifecycle.accept({
          issuer,
          token,
          jti: payload.jti,
          ...(sub ? { sub, userKey: userKey(issuer, sub) } : {}),
          nameKey: nameKey(issuer, body.login_hint),
          ...body,
          ...((body.client_id ?? azp) ? { client_id: body.client_id ?? azp } : {}),
          expires_at: exp,
        }),
      ]);
      const accepted: DelegationAccepted = { id: record.id, expires_at: record.expires_at };
      res.status(201).set('Cache-Control', 'no-store').json(accepted);
    } finally {
      inFlight.delete(jtiKey);
    }
  };
}
