/**
 * Errors of the entity's app API that are not OAuth codes. They extend OAuthError so the one
 * renderer (middleware/render_error.ts) answers them like every other error.
 */
import { OAuthError } from '../shared/errors.ts';

/** 404: no such resource, or not visible to this device's user. */
export class NotFound extends OAuthError {
  constructor(description = 'not found') {
    super('not_found', 404, description);
  }
}

/** 409: the request was already decided (here or on another device). */
export class AlreadySettled extends OAuthError {
  constructor(description = 'the request was already settled') {
    super('already_settled', 409, description);
  }
}

/** 410: the request expired before the decision arrived. */
export class RequestExpired extends OAuthError {
  constructor(description = 'the request has expired') {
    super('expired', 410, description);
  }
}

/** 400: a decision whose signature, request id, device or freshness does not check out. */
export class InvalidDecision extends OAuthError {
  constructor(description: string) {
    super('invalid_decision', 400, description);
  }
}
