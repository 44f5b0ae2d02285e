/**
 * Number matching: approving a request that carries a `binding_number` needs the number the
 * user tapped, inside the signed payload (a number beside the signature counts for nothing).
 * Missing → refused, nothing settled; not the client's number → the approval becomes a denial
 * flagged as suspicious (`wrong_number`), and the client gets access_denied.
 * @see ../../shared/ciba-extensions.ts
 */
import { BINDING_NUMBER_PATTERN } from '../../shared/ciba-extensions.ts';
import { InvalidDecision, NumberRequired } from '../errors.ts';
import type { DecisionCheck } from './check.ts';

export const checkNumber: DecisionCheck = async (_ctx, { request, payload }) => {
  const right = request.binding_number;
  if (right === undefined || payload.decision !== 'approve') return undefined;
  const picked: unknown = payload.number;
  if (picked === undefined) throw new NumberRequired();
  if (typeof picked !== 'string' || !BINDING_NUMBER_PATTERN.test(picked)) throw new InvalidDecision('number must be the picked two-digit number, as a string');
  return picked === right ? undefined : { denial: 'wrong_number' };
};
