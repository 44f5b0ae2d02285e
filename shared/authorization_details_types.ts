/**
 * The registry of authorization details types Nod knows by name: for each, what it must hold
 * (checked at the provider) and how it is shown (the app's request screen, the provider's consent
 * and device pages). Any other type a client registers is shown as a readable list of its fields.
 *
 * Shown means everything: a known type puts its main fields first (a payment's amount large, then
 * creditor, account, reference) and every other field it carries after them, so a person never
 * approves a field they were not shown. Add a type here, with its check and its view.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2.1
 */
import type { AuthorizationDetail } from './authorization_details.ts';
import { groupDigits } from './payment_summary.ts';

/** How one authorization detail is shown. */
export interface DetailView {
  /** What it is: "Payment", "Account access", or the type's name in words. */
  readonly title: string;
  /** The one thing to see first, shown large (a payment's amount and currency). */
  readonly headline?: string;
  /** Every other field, as label and text, in showing order. */
  readonly rows: ReadonlyArray<readonly [label: string, value: string]>;
}

export interface AuthorizationDetailsType {
  /** Why a detail of this type is malformed, or undefined when it is fine. */
  readonly check?: (d: Readonly<Record<string, unknown>>) => string | undefined;
  readonly show: (d: AuthorizationDetail) => DetailView;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** "creditorName" → "Creditor name", "read_balances" → "Read balances". */
export function words(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A field's value as text: lists joined, objects as "name: value" pairs. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'none';
  if (Array.isArray(v)) return v.map(text).join(', ');
  if (isObj(v))
    return Object.entries(v)
      .map(([k, x]) => `${words(k)}: ${text(x)}`)
      .join('; ');
  return String(v);
}

/** Every field of `o` as rows, nested objects flattened with "Parent › Child" labels. */
export function fieldRows(o: Obj, prefix = ''): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(o)) {
    const label = prefix ? `${prefix} › ${words(k)}` : words(k);
    if (isObj(v) && Object.keys(v).length) rows.push(...fieldRows(v, label));
    else rows.push([label, text(v)]);
  }
  return rows;
}

/** A copy of `o` without the fields in `shown` (nested: {a: {b: true}} drops a.b), empty objects dropped. */
function rest(o: Obj, shown: Obj): Obj {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const s = shown[k];
    if (s === true) continue;
    if (isObj(s) && isObj(v)) {
      const r = rest(v, s);
      if (Object.keys(r).length) out[k] = r;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** An IBAN in groups of four, as printed on cards and statements. */
const groupIban = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');

const AMOUNT = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,5})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const TEXT_MAX = 140;

/** payment_initiation, as RFC 9396's examples use it (ISO 20022 field names). */
const paymentInitiation: AuthorizationDetailsType = {
  check(d) {
    const a = d.instructedAmount;
    if (!isObj(a)) return 'instructedAmount is required: {"currency": "EUR", "amount": "1250.00"}';
    if (typeof a.currency !== 'string' || !CURRENCY.test(a.currency)) return 'instructedAmount.currency must be a three-letter ISO 4217 code such as "EUR"';
    if (typeof a.amount !== 'string' || !AMOUNT.test(a.amount)) return 'instructedAmount.amount must be a decimal string such as "1250.00"';
    if (typeof d.creditorName !== 'string' || !d.creditorName.trim() || d.creditorName.length > TEXT_MAX)
      return `creditorName is required: 1 to ${TEXT_MAX} characters`;
    if (d.creditorAccount !== undefined) {
      if (!isObj(d.creditorAccount)) return 'creditorAccount must be an object such as {"iban": "DE02100100109307118603"}';
      const iban = d.creditorAccount.iban;
      if (iban !== undefined && (typeof iban !== 'string' || !IBAN.test(iban))) return 'creditorAccount.iban must be an IBAN in capitals without spaces';
    }
    const ref = d.remittanceInformationUnstructured;
    if (ref !== undefined && (typeof ref !== 'string' || ref.length > TEXT_MAX))
      return `remittanceInformationUnstructured must be a string of at most ${TEXT_MAX} characters`;
    return undefined;
  },
  show(d) {
    const a = isObj(d.instructedAmount) ? d.instructedAmount : {};
    const amount = str(a.amount);
    const currency = str(a.currency);
    const iban = isObj(d.creditorAccount) ? str(d.creditorAccount.iban) : undefined;
    const name = str(d.creditorName);
    const reference = str(d.remittanceInformationUnstructured);
    const rows: Array<[string, string]> = [];
    if (name) rows.push(['To', name]);
    if (iban) rows.push(['Account', groupIban(iban)]);
    if (reference) rows.push(['Reference', reference]);
    const shown = {
      type: true,
      ...(amount && currency ? { instructedAmount: { amount: true, currency: true } } : {}),
      ...(name ? { creditorName: true } : {}),
      ...(iban ? { creditorAccount: { iban: true } } : {}),
      ...(reference ? { remittanceInformationUnstructured: true } : {}),
    };
    return {
      title: 'Payment',
      ...(amount && currency ? { headline: `${groupDigits(amount)} ${currency}` } : {}),
      rows: [...rows, ...fieldRows(rest(d, shown))],
    };
  },
};

/** account_information, as RFC 9396's examples use it: actions on accounts at locations. */
const accountInformation: AuthorizationDetailsType = {
  show(d) {
    const actions = Array.isArray(d.actions) && d.actions.length ? d.actions.map((x) => words(String(x))).join(', ') : undefined;
    const locations = Array.isArray(d.locations) && d.locations.length ? d.locations.map(String).join(', ') : undefined;
    const rows: Array<[string, string]> = [];
    if (actions) rows.push(['Access', actions]);
    if (locations) rows.push(['At', locations]);
    const shown = { type: true, ...(actions ? { actions: true } : {}), ...(locations ? { locations: true } : {}) };
    return { title: 'Account access', rows: [...rows, ...fieldRows(rest(d, shown))] };
  },
};

/** The registry: type name → its check and its view. */
export const AUTHORIZATION_DETAILS_TYPES: Readonly<Record<string, AuthorizationDetailsType>> = {
  payment_initiation: paymentInitiation,
  account_information: accountInformation,
};

/** How to show any detail: its registered view, or its fields in words. */
export function showAuthorizationDetail(d: AuthorizationDetail): DetailView {
  if (Object.hasOwn(AUTHORIZATION_DETAILS_TYPES, d.type)) return AUTHORIZATION_DETAILS_TYPES[d.type]!.show(d);
  const { type: _t, ...fields } = d;
  return { title: words(d.type), rows: fieldRows(fields) };
}
