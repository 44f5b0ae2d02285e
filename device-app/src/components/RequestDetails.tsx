/**
 * What a request asks beyond signing in, for the request screen and the sheet alike: its kind in
 * words (a sign-in, a payment, another approval) and its RFC 9396 authorization details (a
 * payment's amount large, creditor, reference...), loaded on demand. An approval covers what the
 * screen showed (shared/shown.ts), so Approve waits until the details are on screen (`ready`).
 */
import type { ComponentChildren } from 'preact';
import type { DeviceRequest } from '../../../shared/entity-api.ts';
import { useLazy } from '../lib/use-lazy.ts';

/** The eyebrow and what the client asks, e.g. "Payment request", "asks you to approve a payment". */
export function requestKind(r: Pick<DeviceRequest, 'authorization_details'>): { readonly eyebrow: string; readonly asks: string } {
  const details = r.authorization_details;
  if (!details) return { eyebrow: 'Sign-in request', asks: 'wants to sign you in' };
  return details.some((d) => d.type === 'payment_initiation')
    ? { eyebrow: 'Payment request', asks: 'asks you to approve a payment' }
    : { eyebrow: 'Approval request', asks: 'asks you to approve this' };
}

/** The request's authorization details to show (or a spinner while their view loads), and whether they are on screen. */
export function useRequestDetails(r: DeviceRequest): { readonly node: ComponentChildren; readonly ready: boolean } {
  const details = r.authorization_details;
  const Details = useLazy(() => import('./AuthorizationDetails.tsx'), !!details);
  if (!details) return { node: null, ready: true };
  if (Details) return { node: <Details.AuthorizationDetails details={details} />, ready: true };
  return {
    node: (
      <p class="spinner" role="status">
        Loading what you are asked to approve…
      </p>
    ),
    ready: false,
  };
}
