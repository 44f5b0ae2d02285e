/**
 * Client metadata `authorization_details_types` (RFC 9396 §10): the authorization details types
 * the client may send. Any type name may be registered; the registry's types are checked and
 * shown field by field, any other is shown as a list of its fields.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-10
 */
import { InvalidClientMetadata } from '../../shared/errors.ts';
import { AUTHORIZATION_DETAILS_LIMITS } from '../../shared/authorization_details.ts';

/** Printable ASCII without spaces (type names are often URIs). */
const TYPE_NAME = new RegExp(`^[\\x21-\\x7E]{1,${AUTHORIZATION_DETAILS_LIMITS.maxTypeLength}}$`);

export function authorizationDetailsTypesMetadata(input: Record<string, unknown>): { authorization_details_types?: string[] } {
  const v = input.authorization_details_types;
  if (v === undefined) return {};
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string' && TYPE_NAME.test(t))) {
    throw new InvalidClientMetadata(
      `authorization_details_types: must be an array of type names (1 to ${AUTHORIZATION_DETAILS_LIMITS.maxTypeLength} printable characters, no spaces)`,
    );
  }
  return { authorization_details_types: [...new Set(v as string[])] };
}
