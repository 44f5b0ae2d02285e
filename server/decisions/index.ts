/**
 * The checks a signed decision passes, in order, before it settles its request: one module per
 * check, listed here so that one can see what an approval must prove.
 */
import type { ServerContext } from '../context.ts';
import type { DecisionCheck, DecisionEvidence, DecisionInput } from './check.ts';
import { checkShownHash } from './check_shown_hash.ts';
import { checkPasskey } from './check_passkey.ts';

export const DECISION_CHECKS: readonly DecisionCheck[] = [checkShownHash, checkPasskey];

/** Runs every check (the first refusal throws) and merges what they established. */
export async function runDecisionChecks(ctx: ServerContext, input: DecisionInput): Promise<DecisionEvidence> {
  let evidence: DecisionEvidence = {};
  for (const check of DECISION_CHECKS) evidence = { ...evidence, ...(await check(ctx, input)) };
  return evidence;
}
