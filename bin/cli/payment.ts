/**
 * `--payment "1250.00 EUR ACME GmbH"`: a payment_initiation authorization detail (RFC 9396) from
 * one line: the amount, the currency, and the creditor's name (the rest of the line).
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';
import { AUTHORIZATION_DETAILS_TYPES } from '../../shared/authorization_details_types.ts';
import { UsageError } from './errors.ts';

const LINE = /^\s*([0-9]+(?:\.[0-9]+)?)\s+([A-Za-z]{3})\s+(\S.*?)\s*$/;

/** The payment, checked as the provider will check it; a UsageError names what is wrong. */
export function paymentDetail(line: string): AuthorizationDetail {
  const m = LINE.exec(line);
  if (!m) throw new UsageError(`--payment must be "<amount> <currency> <creditor>", for example "1250.00 EUR ACME GmbH"; got ${JSON.stringify(line)}`);
  const detail: AuthorizationDetail = {
    type: 'payment_initiation',
    instructedAmount: { currency: m[2]!.toUpperCase(), amount: m[1]! },
    creditorName: m[3]!,
  };
  const problem = AUTHORIZATION_DETAILS_TYPES.payment_initiation!.check?.(detail);
  if (problem) throw new UsageError(`--payment: ${problem}`);
  return detail;
}
