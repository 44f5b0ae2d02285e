/**
 * The checks a signed decision passes, in order, before it settles its request: one module per
 * check, listed here so that one can see what an approval must prove. A check may refuse the
 * decision (a typed error: nothing is settled, the app may try again), add evidence, or turn an
 * approval into a denial (a wrong number-matching pick); the checks after that one, which are
 * about approving, are then skipped.
 */
import type { ServerContext } from '../context.ts';
import type { DecisionCheck, DecisionEvidence, DecisionInput } from './check.ts';
import { checkNumber } from './check_number.ts';
import { checkShownHash } from './check_shown_hash.ts';
import { checkPasskey } from './check_passkey.ts';

export const DECISION_CHECKS: readonly DecisionCheck[] = [checkNumber, checkShownHash, checkPasskey];

/** Runs every check (the first refusal throws) and merges what they established. */
export async function runDecisionChecks(ctx: ServerContext, input: DecisionInput): Promise<DecisionEvidence> {
  let evidence: DecisionEvidence = {};
  for (const check of DECISION_CHECKS) {
    evidence = { ...evidence, ...(await check(ctx, input)) };
    if (evidence.denial) break;
  }
  return evidence;
}
