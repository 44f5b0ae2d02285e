/**
 * A payment in one line ("1,250.00 EUR to ACME GmbH") for summaries such as the app's request
 * list. Kept apart from the registry (authorization_details_types.ts) so that a summary does not
 * load every type's view.
 */
import type { AuthorizationDetail } from './authorization_details.ts';

/** "1250.00" → "1,250.00" (digits grouped by three; the fraction as sent). */
export function groupDigits(amount: string): string {
  const [whole = '', fraction] = amount.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** The first payment_initiation among `details` in one line, or undefined. */
export function paymentSummary(details: readonly AuthorizationDetail[] | undefined): string | undefined {
  const p = details?.find((d) => d.type === 'payment_initiation');
  const a = p?.instructedAmount as { amount?: unknown; currency?: unknown } | undefined;
  if (typeof a?.amount !== 'string' || typeof a.currency !== 'string') return undefined;
  return `${groupDigits(a.amount)} ${a.currency}${typeof p!.creditorName === 'string' ? ` to ${p!.creditorName}` : ''}`;
}
