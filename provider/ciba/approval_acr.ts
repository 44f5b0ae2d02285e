/**
 * How the user approved, from the entity's callback (Nod extension members `acr` and `amr`, both
 * strings, parsed by shared/auth-channel.ts), and the check that a request asking for phishing-resistant approval got one: a
 * request whose acr_values name `phr` is approved only when the entity reports acr "phr" (a
 * verified passkey assertion with user verification); otherwise it ends as access_denied.
 * Without the members (Keycloak's contract), the approval is the device's plain one.
 * @see https://openid.net/specs/openid-connect-eap-acr-values-1_0.html#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc8176#section-2
 */
import { ACR_PHR, AMR_PHR } from '../../shared/constants.ts';
import type { CallbackRequest } from '../../shared/auth-channel.ts';
import { requiresPhr } from '../../shared/phr.ts';
import { defaults } from '../defaults.ts';
import type { CibaRequest } from './request.ts';

/** What the grant records about the approval. */
export interface Approval {
  readonly acr: string;
  readonly amr?: readonly string[];
}

/** The approval to record, or why it does not satisfy the request. */
export function approvalOf(request: CibaRequest, callback: Pick<CallbackRequest, 'acr' | 'amr'>): Approval | { readonly refused: string } {
  const amr = callback.amr?.split(' ');
  if (callback.acr === ACR_PHR) return { acr: ACR_PHR, amr: amr ?? AMR_PHR };
  if (requiresPhr(request.acrValues)) {
    return {
      refused: 'the client requires phishing-resistant approval (acr phr), and the user approved without a passkey with user verification on their device',
    };
  }
  return { acr: defaults.cibaAcr, ...(amr ? { amr } : {}) };
}
