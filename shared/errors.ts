/**
 * Typed OAuth 2.0 / OpenID Connect protocol errors: one class per error code.
 * Handlers throw these; one renderer per component turns them into responses.
 * `description` is safe to show to the caller; `detail` is internal and only logged.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
/** The JSON error body of every endpoint of every component (OAuth endpoints, the entity's /api, the callback). */
export interface ErrorResponse {
  readonly error: string;
  readonly error_description?: string;
}

/**
 * The most characters of a description a response carries: descriptions may quote the request
 * (its path, a parameter), and an 8 KB path must not come back as 8 KB. Longer ones are cut here,
 * where every error is made, with an ellipsis.
 */
export const MAX_DESCRIPTION_CHARS = 200;

/** `text` cut to MAX_DESCRIPTION_CHARS (code points, so no surrogate is split), with an ellipsis when cut. */
export function capDescription(text: string): string {
  if (text.length <= MAX_DESCRIPTION_CHARS) return text;
  return `${Array.from(text)
    .slice(0, MAX_DESCRIPTION_CHARS - 1)
    .join('')}…`;
}

/** V8's knob (Node and Chromium); not in the ECMAScript lib, so typed here for the neutral shared/ project. */
const V8Error = Error as ErrorConstructor & { stackTraceLimit: number };

export class OAuthError extends Error {
  readonly error: string;
  status: number;
  readonly description: string;
  readonly detail?: string;
  /** Extra response headers (e.g. WWW-Authenticate, Retry-After). */
  headers: Record<string, string> = {};

  constructor(error: string, status: number, description: string, detail?: string) {
    // Protocol errors are answers, not bugs: skip the stack trace (costly on hot paths such as
    // authorization_pending, and never shown to anyone).
    const limit = V8Error.stackTraceLimit;
    V8Error.stackTraceLimit = 0;
    const shown = capDescription(description);
    super(`${error}: ${shown}`);
    V8Error.stackTraceLimit = limit;
    this.name = 'OAuthError';
    this.error = error;
    this.status = status;
    this.description = shown;
    this.detail = detail;
  }

  /** Sets Retry-After in seconds (rate limits, lockouts, overload); at least 1. */
  retryAfter(seconds: number): this {
    this.headers['Retry-After'] = String(Math.max(1, Math.ceil(seconds)));
    return this;
  }

  /** Changes the HTTP status (e.g. access_denied is 403 at the backchannel endpoint, 400 at the token endpoint). */
  withStatus(status: number): this {
    this.status = status;
    return this;
  }

  /** The JSON body every OAuth endpoint answers with. */
  toJSON(): ErrorResponse {
    return { error: this.error, error_description: this.description };
  }
}

/** Makes the class for one error code with its default status and description. */
export function errorCode(code: string, status: number, fallback: string) {
  return class extends OAuthError {
    static readonly code = code;
    constructor(description: string = fallback, detail?: string) {
      super(code, status, description, detail);
    }
  };
}

export class InvalidRequest extends errorCode('invalid_request', 400, 'the request is malformed') {}
export class InvalidClient extends errorCode('invalid_client', 401, 'client authentication failed') {}
export class InvalidGrant extends errorCode('invalid_grant', 400, 'the grant is invalid, expired or revoked') {}
export class UnauthorizedClient extends errorCode('unauthorized_client', 400, 'the client is not authorized to use this grant or response type') {}
export class UnsupportedGrantType extends errorCode('unsupported_grant_type', 400, 'the grant type is not supported') {}
export class UnsupportedResponseType extends errorCode('unsupported_response_type', 400, 'the response type is not supported') {}
export class InvalidScope extends errorCode('invalid_scope', 400, 'the requested scope is invalid or not allowed') {}
export class AccessDenied extends errorCode('access_denied', 403, 'the resource owner or server denied the request') {}
export class ServerError extends errorCode('server_error', 500, 'the server could not complete the request') {}
export class TemporarilyUnavailable extends errorCode('temporarily_unavailable', 503, 'the service is temporarily unavailable') {}
export class InvalidToken extends errorCode('invalid_token', 401, 'the access token is invalid') {}
export class InsufficientScope extends errorCode('insufficient_scope', 403, 'the access token lacks the required scope') {}
export class LoginRequired extends errorCode('login_required', 400, 'end-user authentication is required') {}
export class ConsentRequired extends errorCode('consent_required', 400, 'end-user consent is required') {}
export class InteractionRequired extends errorCode('interaction_required', 400, 'end-user interaction is required') {}
export class InvalidRequestObject extends errorCode('invalid_request_object', 400, 'the request object is invalid') {}
export class RequestNotSupported extends errorCode('request_not_supported', 400, 'request objects are not supported here') {}
export class RequestUriNotSupported extends errorCode('request_uri_not_supported', 400, 'request_uri is not supported') {}
export class InvalidRedirectUri extends errorCode('invalid_redirect_uri', 400, 'the redirect_uri is not registered for this client') {}
export class InvalidClientMetadata extends errorCode('invalid_client_metadata', 400, 'the client metadata is invalid') {}
// Token endpoint polling (RFC 8628 section 3.5, CIBA Core section 11)
export class AuthorizationPending extends errorCode('authorization_pending', 400, 'the authorization request is still pending') {}
export class SlowDown extends errorCode('slow_down', 400, 'polling too fast; the interval has been increased') {}
export class ExpiredToken extends errorCode('expired_token', 400, 'the request has expired') {}
// CIBA Core section 13
export class UnknownUserId extends errorCode('unknown_user_id', 400, 'the user hint could not be resolved to a user') {}
export class ExpiredLoginHintToken extends errorCode('expired_login_hint_token', 400, 'the login_hint_token has expired') {}
export class InvalidBindingMessage extends errorCode('invalid_binding_message', 400, 'the binding_message is invalid') {}
export class MissingUserCode extends errorCode('missing_user_code', 400, 'a user_code is required for this client') {}
export class InvalidUserCode extends errorCode('invalid_user_code', 400, 'the user_code is invalid') {}
// RFC 9396 section 5
export class InvalidAuthorizationDetails extends errorCode('invalid_authorization_details', 400, 'the authorization_details are invalid') {}
/** Too many requests (rate limits, anti-fatigue); not an OAuth code of its own, so it uses a clear name. */
export class TooManyRequests extends errorCode('too_many_requests', 429, 'too many requests; try again later') {}

/** True for any typed protocol error. */
export function isOAuthError(e: unknown): e is OAuthError {
  return e instanceof OAuthError;
}

/**
 * Codes of errors a request stream raises when the client sends something Node's HTTP parser
 * refuses mid-body (`HPE_INVALID_CHUNK_SIZE`, `HPE_CHUNK_SIZE_OVERFLOW`, ...) or goes away
 * (`ECONNRESET`, `ECONNABORTED`, a premature close): the client's fault, never a bug.
 */
export function isClientStreamError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('HPE_') || code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE');
}

/**
 * The protocol error for a failure of the body parser (express.json / express.urlencoded, i.e.
 * body-parser's `type`), of the request stream (isClientStreamError), or of a library answering
 * for the client's request with an http-errors 4xx (`expose`: e.g. 416 from express.static for a
 * Range that cannot be satisfied, with its Content-Range header); undefined when `err` is none of
 * these: the client's fault, never a 500.
 * @see https://github.com/expressjs/body-parser#errors
 * @see https://github.com/jshttp/http-errors
 */
export function bodyParserError(err: unknown): OAuthError | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown; headers?: unknown } | null | undefined;
  if (isClientStreamError(err)) return new InvalidRequest('the request could not be read', String((err as { code: string }).code));
  switch (e?.type) {
    case 'entity.too.large':
      return new InvalidRequest('the request body is too large').withStatus(413);
    case 'parameters.too.many':
      return new InvalidRequest('the request has too many parameters');
    case 'entity.parse.failed':
    case 'entity.verify.failed':
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
      return new InvalidRequest('the request body could not be parsed');
    default:
      if (e?.status === 400) return new InvalidRequest('the request body could not be parsed');
      if (typeof e?.status === 'number' && e.status > 400 && e.status < 500 && e.expose === true) return exposedClientError(e.status, e.message, e.headers);
      return undefined;
  }
}

/** An http-errors 4xx with `expose` (its message is meant for the client) as invalid_request with that status and its headers. */
function exposedClientError(status: number, message: unknown, headers: unknown): OAuthError {
  const e = new InvalidRequest(typeof message === 'string' && message ? message : 'the request cannot be served').withStatus(status);
  if (headers && typeof headers === 'object') for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') e.headers[k] = v;
  return e;
}

/**
 * The store cannot answer now (Redis down, unreachable, loading, out of memory, or too slow).
 * Not a protocol error: stores throw it (shared/store), and toOAuthError answers it with 503
 * temporarily_unavailable and Retry-After. The store recovers by itself.
 */
export class StoreUnavailableError extends Error {
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  constructor(detail: string, retryAfter = 2) {
    super(`the store is unavailable: ${detail}`);
    this.name = 'StoreUnavailableError';
    this.retryAfter = retryAfter;
  }
}

/** Where toOAuthError reports bugs, and (at info) requests the client broke (a Logger fits). */
export interface BugLog {
  error(event: string, fields: Record<string, unknown>): void;
  info(event: string, fields: Record<string, unknown>): void;
}

/** The log event of a request the client broke (bad framing, refused by the HTTP parser, abandoned): info, never internal.error. */
export const CLIENT_ERROR_EVENT = 'http.client_error';

/**
 * Any thrown value as a protocol error: typed errors as they are, body-parser, request-stream and
 * http-errors 4xx failures as the client's (bodyParserError), anything else (a bug) logged as `internal.error` and answered as a bare
 * server_error, without details.
 */
export function toOAuthError(err: unknown, log: BugLog, where: string): OAuthError {
  if (isOAuthError(err)) return err;
  if (err instanceof StoreUnavailableError) {
    return new TemporarilyUnavailable('the service is temporarily unavailable; try again shortly', err.message).retryAfter(err.retryAfter);
  }
  if (isClientStreamError(err)) {
    // Node's parser refused the body, or the client went away: logged as the client's, once (CLIENT_ERROR_EVENT).
    log.info(CLIENT_ERROR_EVENT, { where, errorCode: (err as { code: string }).code, message: (err as { message?: string }).message });
  }
  const parsed = bodyParserError(err);
  if (parsed) return parsed;
  const e = err as { message?: string; stack?: string } | undefined;
  log.error('internal.error', { where, message: e?.message, stack: e?.stack });
  return new ServerError();
}
