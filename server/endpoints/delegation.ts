/**
 * Delegation reception: Keycloak's HTTP Authentication Channel. The provider POSTs JSON
 * `{login_hint, scope, is_consent_required, binding_message?, acr_values?}` (plus optional
 * extras such as `client_id` and `client_name`) with `Authorization: Bearer <JWS>`. The token is
 * verified before anything is stored: trusted `iss`, signature by the issuer's JWKS, `aud` =
 * `iss`, `exp` in the future, `jti` never seen. The answer is 201 once the request is stored.
 * @see ../../shared/design/protocol-facts.md "Keycloak's HTTP Authentication Channel"
 */
import type { RequestHandler } from 'express';
import { InvalidRequest, InvalidToken } from '../../shared/errors.ts';
import type { DelegationRequest } from '../../shared/wire.ts';
import { nowSeconds, type ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { bearerToken, withChallenge } from '../middleware/bearer.ts';
import { nameKey, userKey } from '../models.ts';
import type { RequestLifecycle } from '../requests/lifecycle.ts';
import { verifyIssuerToken } from '../tokens/verify_issuer_token.ts';

/** An optional string field: absent or null is undefined; anything else must be a string within `max`. */
function optional(body: Record<string, unknown>, name: string, max: number): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new InvalidRequest(`${name} must be a string of at most ${max} characters`);
  return v;
}

/** Validates the JSON body; unknown extra fields are ignored. */
export function parseDelegationBody(raw: unknown): DelegationRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidRequest('expected a JSON object body (Content-Type: application/json)');
  const body = raw as Record<string, unknown>;
  const login_hint = body.login_hint;
  if (typeof login_hint !== 'string' || !login_hint.trim() || login_hint.length > defaults.maxLoginHint) {
    throw new InvalidRequest('login_hint is required: a non-empty string');
  }
  const scope = body.scope;
  if (typeof scope !== 'string' || scope.length > defaults.maxScope) throw new InvalidRequest('scope is required: a space-separated string');
  const consent = body.is_consent_required;
  if (typeof consent !== 'boolean') throw new InvalidRequest('is_consent_required is required: a boolean');
  return {
    login_hint: login_hint.trim(),
    scope: scope.split(' ').filter(Boolean).join(' '),
    is_consent_required: consent,
    binding_message: optional(body, 'binding_message', defaults.maxBindingMessage),
    acr_values: optional(body, 'acr_values', defaults.maxScope),
    client_id: optional(body, 'client_id', 256),
    client_name: optional(body, 'client_name', 256),
  };
}

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
    const body = parseDelegationBody(req.body);
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
          login_hint: body.login_hint,
          scope: body.scope,
          is_consent_required: body.is_consent_required,
          ...(body.binding_message !== undefined ? { binding_message: body.binding_message } : {}),
          ...(body.acr_values !== undefined ? { acr_values: body.acr_values } : {}),
          ...((body.client_id ?? azp) ? { client_id: body.client_id ?? azp } : {}),
          ...(body.client_name !== undefined ? { client_name: body.client_name } : {}),
          expires_at: exp,
        }),
      ]);
      res.status(201).set('Cache-Control', 'no-store').json({ id: record.id, expires_at: record.expires_at });
    } finally {
      inFlight.delete(jtiKey);
    }
  };
}
