/**
 * An approval covers exactly what the screen showed: its `shown_hash` (shared/shown.ts) must be
 * the hash of this request as the entity sends it to the app. Required to approve a request that
 * carries authorization details or asks for acr phr; checked on every approval that carries one.
 */
import { shownHash } from '../../shared/shown.ts';
import { requiresPhr } from '../../shared/phr.ts';
import { deviceRequestView } from '../devices/view.ts';
import { InvalidDecision } from '../errors.ts';
import type { DecisionCheck } from './check.ts';

export const checkShownHash: DecisionCheck = async (_ctx, { request, payload }) => {
  if (payload.decision !== 'approve') return undefined;
  const required = request.authorization_details !== undefined || requiresPhr(request.acr_values);
  if (payload.shown_hash === undefined) {
    if (required) throw new InvalidDecision('this request must be approved with the hash of what the screen showed (shown_hash): update the app');
    return undefined;
  }
  if (typeof payload.shown_hash !== 'string' || payload.shown_hash !== (await shownHash(deviceRequestView(request)))) {
    throw new InvalidDecision('what the device showed is not this request (shown_hash differs): reload the request and decide again');
  }
  return undefined;
};
