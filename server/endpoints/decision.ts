/**
 * POST /api/requests/:id/decision `{signed}`: a compact JWS (ES256) made with the device's
 * enrolled key, whose payload names this request, this device, the decision and a fresh `iat`.
 * Then the decision checks (decisions/index.ts: the picked number, what was shown, the passkey).
 * First answer wins: a settled request answers 409, an expired one 410.
 * @see ../../shared/entity-api.ts DecisionPayload
 */
import { DENY_REASONS, type DecisionPayload, type DecisionResponse } from '../../shared/entity-api.ts';
import { InvalidRequest } from '../../shared/errors.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { InvalidDecision } from '../errors.ts';
import type { Device } from '../models.ts';
import { verifyEs256 } from '../devices/device_key.ts';
import type { Decision, RequestLifecycle } from '../requests/lifecycle.ts';
import { requestOfDevice } from './requests.ts';
import type { JsonEndpoint } from './json_endpoint.ts';
import { runDecisionChecks } from '../decisions/index.ts';

/** Checks the signature and claims of a signed decision; returns its payload. */
export async function verifyDecision(ctx: ServerContext, signed: unknown, device: Device, requestId: string): Promise<DecisionPayload> {
  if (typeof signed !== 'string' || signed.length > defaults.maxSignedDecision) throw new InvalidRequest('signed is required: a compact JWS');
  let payload: DecisionPayload;
  try {
    payload = JSON.parse(verifyEs256(signed, ctx.deviceKeys.of(device)).toString('utf8')) as DecisionPayload;
  } catch {
    throw new InvalidDecision('the decision signature does not verify with this device key');
  }
  if (payload?.request_id !== requestId) throw new InvalidDecision('the decision is for another request');
  if (payload.device_id !== device.device_id) throw new InvalidDecision('the decision names another device');
  if (typeof payload.iat !== 'number' || Math.abs(nowSeconds() - payload.iat) > defaults.decisionMaxAge) {
    throw new InvalidDecision('the decision is not fresh (iat)');
  }
  if (payload.decision !== 'approve' && payload.decision !== 'deny') throw new InvalidDecision('decision must be approve or deny');
  if (payload.reason !== undefined && (payload.decision !== 'deny' || !(DENY_REASONS as readonly string[]).includes(payload.reason))) {
    throw new InvalidDecision(`reason must be ${DENY_REASONS.join(' or ')}, on a denial`);
  }
  return payload;
}

/** The decision endpoint (its route authenticates the device first: JsonRequest.device). */
export function decisionEndpoint(ctx: ServerContext, lifecycle: RequestLifecycle): JsonEndpoint {
  return async (req) => {
    const device = req.device!;
    const r = await requestOfDevice(ctx, req.params.id ?? '', device);
    const payload = await verifyDecision(ctx, (req.body as Record<string, unknown> | undefined)?.signed, device, r.id);
    const evidence = await runDecisionChecks(ctx, { request: r, device, payload });
    const by = { by: device.device_id, on: device.name };
    // A wrong number-matching pick turns the approval into a flagged denial (check_number.ts).
    const decision: Decision = evidence.denial
      ? { decision: 'deny', reason: evidence.denial, ...by }
      : {
          decision: payload.decision,
          ...(payload.reason ? { reason: payload.reason } : {}),
          ...by,
          ...(evidence.acr ? { evidence: { acr: evidence.acr, ...(evidence.amr ? { amr: evidence.amr } : {}) } } : {}),
        };
    const settled = await lifecycle.decide(r, decision);
    // The reason only when a check changed the decision (the app knows its own deny reason).
    const answer: DecisionResponse = { id: settled.id, status: settled.status, ...(evidence.denial ? { reason: evidence.denial } : {}) };
    return { status: 200, body: answer };
  };
}
