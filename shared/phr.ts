/** Phishing-resistant approval (acr `phr`): when a request asks for it. Constants in constants.ts. */
import { ACR_PHR } from './constants.ts';

/** Whether a space-separated acr_values asks for phishing-resistant approval: any mention of phr requires it. */
export function requiresPhr(acrValues: string | undefined): boolean {
  return acrValues?.split(' ').includes(ACR_PHR) ?? false;
}
