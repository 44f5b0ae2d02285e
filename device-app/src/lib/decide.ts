/**
 * Sends the user's decision on a request, signed with the device key. Used by the request
 * screen and by the service worker's notification actions.
 */
import { ENTITY_API, type DecisionPayload, type DecisionResponse, type DenyReason } from '../../../shared/entity-api.ts';
import { api } from './api.ts';
import { signDecision } from './crypto.ts';
import type { Session } from './session.ts';
import { nowSeconds } from '../../../shared/time.ts';

/** Query flag of the request screen (`/requests/<id>?deny`): open it asking why (the notification's Deny). */
export const REQUEST_ASK_WHY = 'deny';

/** An approval carries the picked number when the request uses number matching (inside the signed payload). */
export type Decision = { readonly decision: 'approve'; readonly number?: string } | { readonly decision: 'deny'; readonly reason: DenyReason };

/** What an approval from the request screen adds to the signed payload (lib/approval.ts). */
export type ApprovalProof = Pick<DecisionPayload, 'shown_hash' | 'passkey'>;

/** Signs and posts a decision; the entity answers 409 already_settled or 410 expired when too late. */
export async function sendDecision(session: Session, requestId: string, d: Decision, proof: ApprovalProof = {}): Promise<DecisionResponse> {
  const payload: DecisionPayload = {
    request_id: requestId,
    device_id: session.device_id,
    decision: d.decision,
    ...(d.decision === 'deny' ? { reason: d.reason } : {}),
    ...(d.decision === 'approve' && d.number !== undefined ? { number: d.number } : {}),
    iat: nowSeconds(),
    ...(d.decision === 'approve' ? proof : {}),
  };
  const signed = await signDecision(session.keys.privateKey, payload);
  return api<DecisionResponse>(ENTITY_API.decision(requestId), { method: 'POST', token: session.device_token, body: { signed } });
}
