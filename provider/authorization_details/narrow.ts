/**
 * authorization_details in a token request (RFC 9396 §6): the client may ask for part of what
 * was granted. Each element it names must be one the user approved, exactly (the conservative
 * reading of §6.1's comparison); without the parameter the tokens carry everything granted.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-6
 */
import { parseAuthorizationDetails, type AuthorizationDetail } from '../../shared/authorization_details.ts';
import { canonicalJson } from '../../shared/canonical_json.ts';
import { InvalidAuthorizationDetails } from '../../shared/errors.ts';

/** The details the new tokens carry; throws invalid_authorization_details for anything not granted. */
export function requestedDetails(granted: readonly AuthorizationDetail[] | undefined, raw: string | undefined): readonly AuthorizationDetail[] | undefined {
  if (raw === undefined) return granted;
  if (!granted) throw new InvalidAuthorizationDetails('this grant holds no authorization_details to ask for');
  const parsed = parseAuthorizationDetails(raw);
  if ('problem' in parsed) throw new InvalidAuthorizationDetails(parsed.problem);
  const approved = new Set(granted.map(canonicalJson));
  const extra = parsed.details.find((d) => !approved.has(canonicalJson(d)));
  if (extra)
    throw new InvalidAuthorizationDetails(
      `authorization_details asks for a ${extra.type} detail the user did not approve (each must be one of the granted details, unchanged)`,
    );
  return parsed.details;
}
