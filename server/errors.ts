/**
 * Errors of the entity's app API that are not OAuth codes (their codes: ENTITY_API_ERRORS in the
 * contract). They extend OAuthError so the one renderer (middleware/render_error.ts) answers them
 * like every other error.
 */
import { ENTITY_API_ERRORS } from '../shared/entity-api.ts';
import { errorCode, OAuthError } from '../shared/errors.ts';

/** 404: no such resource, or not visible to this device's user. */
export class NotFound extends errorCode(ENTITY_API_ERRORS.notFound, 404, 'not found') {}

/** 409: the request was already decided (here or on another device). */
export class AlreadySettled extends errorCode(ENTITY_API_ERRORS.alreadySettled, 409, 'the request was already settled') {}

/** 410: the request expired before the decision arrived. */
export class RequestExpired extends errorCode(ENTITY_API_ERRORS.expired, 410, 'the request has expired') {}

/** 400: a decision whose signature, request id, device or freshness does not check out. */
export class InvalidDecision extends OAuthError {
  constructor(description: string) {
    super(ENTITY_API_ERRORS.invalidDecision, 400, description);
  }
}

/** 409: this device already holds a passkey; a new one is registered only after the old one is removed. */
export class PasskeyExists extends errorCode(
  ENTITY_API_ERRORS.passkeyExists,
  409,
  'this device already holds a passkey: remove it first, then set up a new one',
) {}

/** 400: a number-matching request approved without the picked number in the signed decision. Nothing is settled. */
export class NumberRequired extends errorCode(
  ENTITY_API_ERRORS.numberRequired,
  400,
  'this request asks the user to pick the number the requester shows: the signed decision must carry it',
) {}
