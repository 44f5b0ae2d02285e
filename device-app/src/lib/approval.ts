/**
 * What an approval proves besides the device key: the hash of exactly what the screen showed
 * (shared/shown.ts), and for a request asking for acr phr, a passkey assertion over it.
 * Loaded on demand, when the user taps Approve.
 */
import type { DeviceRequest } from '../../../shared/entity-api.ts';
import { requiresPhr } from '../../../shared/phr.ts';
import { shownHash } from '../../../shared/shown.ts';
import type { ApprovalProof } from './decide.ts';
import { assertPasskey } from './passkey.ts';
import type { Session } from './session.ts';

export async function approvalProof(session: Session, r: DeviceRequest): Promise<ApprovalProof> {
  const shown_hash = await shownHash(r);
  if (!requiresPhr(r.acr_values)) return { shown_hash };
  return { shown_hash, passkey: await assertPasskey(session, r.id, shown_hash) };
}

export { passkeyErrorText } from './passkey.ts';
