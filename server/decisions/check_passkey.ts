/**
 * Phishing-resistant approval (acr phr): approving a request that asks for it needs a WebAuthn
 * assertion with user verification from this device's passkey (passkeys/assertion.ts). A verified
 * one, on any approval, makes the decision acr "phr" with amr "hwk user".
 * @see https://openid.net/specs/openid-connect-eap-acr-values-1_0.html#section-2.1
 */
import { ACR_PHR, AMR_PHR } from '../../shared/constants.ts';
import { requiresPhr } from '../../shared/phr.ts';
import { InvalidDecision } from '../errors.ts';
import { verifyAssertion } from '../passkeys/assertion.ts';
import type { DecisionCheck } from './check.ts';

export const checkPasskey: DecisionCheck = async (ctx, { request, device, payload }) => {
  if (payload.decision !== 'approve') return undefined;
  if (payload.passkey === undefined) {
    if (requiresPhr(request.acr_values)) {
      throw new InvalidDecision('this request must be approved with your passkey (fingerprint, face or screen lock); nothing was approved');
    }
    return undefined;
  }
  await verifyAssertion(ctx, request, device, payload.passkey, payload.shown_hash);
  return { acr: ACR_PHR, amr: [...AMR_PHR] };
};
