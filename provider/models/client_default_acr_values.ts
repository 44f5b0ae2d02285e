/**
 * Client metadata `default_acr_values` (OpenID Connect Dynamic Registration §2): the acr values
 * its backchannel authentication requests ask for when they send no `acr_values`. A client that
 * registers `["phr"]` gets every approval made with a passkey, or none.
 * @see https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata
 */
import { InvalidClientMetadata } from '../../shared/errors.ts';
import { acrValuesSupported } from '../acr.ts';

export function defaultAcrValuesMetadata(input: Record<string, unknown>): { default_acr_values?: string[] } {
  const v = input.default_acr_values;
  if (v === undefined) return {};
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string')) {
    throw new InvalidClientMetadata('default_acr_values: must be a non-empty array of acr values');
  }
  const supported = acrValuesSupported();
  const unknown = (v as string[]).filter((a) => !supported.includes(a));
  if (unknown.length) throw new InvalidClientMetadata(`default_acr_values: ${unknown.join(', ')} not supported (supported: ${supported.join(', ')})`);
  return { default_acr_values: [...new Set(v as string[])] };
}
