/** Authorization details the RAR tests send, and the malformed values every endpoint must refuse. */

/** RFC 9396's payment example, as the demo clients may request it. */
export const PAYMENT = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '1250.00' },
  creditorName: 'ACME GmbH',
  creditorAccount: { iban: 'DE02100100109307118603' },
  remittanceInformationUnstructured: 'Invoice 4711',
} as const;

export const ACCOUNTS = {
  type: 'account_information',
  actions: ['list_accounts', 'read_balances'],
  locations: ['https://bank.example.com/accounts'],
} as const;

const many = (n: number) => ({
  type: 'account_information',
  actions: ['read_balances'],
  locations: Array.from({ length: n }, (_, i) => `https://bank.example.com/accounts/${i}`),
});

/** [what is wrong, the parameter value]: each must get invalid_authorization_details. */
export const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  ['bad JSON', '[{"type": "payment_initiation"'],
  ['not an array', JSON.stringify(PAYMENT)],
  ['an empty array', '[]'],
  ['an element that is not an object', '["payment_initiation"]'],
  ['an element without a type', JSON.stringify([{ creditorName: 'ACME GmbH' }])],
  ['a type the client did not register', JSON.stringify([{ type: 'tax_filing', year: 2025 }])],
  ['a payment without an amount', JSON.stringify([{ type: 'payment_initiation', creditorName: 'ACME GmbH' }])],
  ['a payment with a numeric amount', JSON.stringify([{ ...PAYMENT, instructedAmount: { currency: 'EUR', amount: 1250 } }])],
  ['a common field of the wrong shape', JSON.stringify([{ type: 'account_information', actions: 'read_balances' }])],
  ['nesting deeper than 6 levels', JSON.stringify([{ type: 'account_information', a: { b: { c: { d: { e: { f: 1 } } } } } }])],
  ['over 4096 bytes', JSON.stringify([many(120)])],
  ['over 8192 bytes (still the RAR error, not a generic one)', JSON.stringify([many(260)])],
];

/** The access token's payload (it is a JWT). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
