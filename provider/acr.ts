/**
 * Authentication context classes this provider issues, in one list (discovery's
 * `acr_values_supported`, client metadata `default_acr_values`):
 *   urn:nod:acr:pwd   a password sign-in at the provider's login page;
 *   urn:nod:acr:ciba  an approval on the user's enrolled authentication device;
 *   phr               an approval on that device with a passkey and user verification (OpenID EAP).
 * @see https://openid.net/specs/openid-connect-eap-acr-values-1_0.html
 */
import { ACR_PHR } from '../shared/constants.ts';
import { defaults } from './defaults.ts';
import { ACR_PASSWORD } from './interaction/session.ts';

/** The list (a function: read at call time, so import order between modules never matters). */
export function acrValuesSupported(): string[] {
  return [ACR_PASSWORD, defaults.cibaAcr, ACR_PHR];
}
