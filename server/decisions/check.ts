/** The shape of one check a signed decision passes before it settles a request (composed in index.ts). */
import type { DecisionPayload, SettleReason } from '../../shared/entity-api.ts';
import type { ServerContext } from '../context.ts';
import type { Device, PendingRequest } from '../models.ts';

export interface DecisionInput {
  readonly request: PendingRequest;
  readonly device: Device;
  /** The payload, its device signature, request id, device id and freshness already verified. */
  readonly payload: DecisionPayload;
}

/** What a check established about how the user approved (merged into the stored decision and the callback). */
export interface DecisionEvidence {
  readonly acr?: string;
  readonly amr?: readonly string[];
  /** The approval must end as a denial instead, for this reason (a wrong number-matching pick: check_number.ts). */
  readonly denial?: SettleReason;
}

/** Throws InvalidDecision (or another typed error) to refuse; may return evidence. */
export type DecisionCheck = (ctx: ServerContext, input: DecisionInput) => Promise<DecisionEvidence | undefined>;
