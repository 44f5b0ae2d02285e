/** The authorization details checks and the registry's views: a known type's fields first, and never a field left unshown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTHORIZATION_DETAILS_LIMITS, authorizationDetailsProblem, parseAuthorizationDetails, type AuthorizationDetail } from './authorization_details.ts';
import { showAuthorizationDetail, type DetailView } from './authorization_details_types.ts';
import { paymentSummary } from './payment_summary.ts';

const payment: AuthorizationDetail = {
  type: 'payment_initiation',
  instructedAmount: { currency: 'EUR', amount: '1250000.5' },
  creditorName: 'ACME GmbH',
  creditorAccount: { iban: 'DE02100100109307118603', bic: 'ACMEDEFF' },
  remittanceInformationUnstructured: 'Invoice 4711',
  debtorAccount: { iban: 'DE89370400440532013000' },
};

/** Every leaf value of `v` as text (null is shown as "none"). */
function leaves(v: unknown): string[] {
  if (v === null) return ['none'];
  if (typeof v !== 'object') return [String(v)];
  return Object.entries(v as object).flatMap(([k, x]) => (k === 'type' ? [] : leaves(x)));
}

/** Text compared loosely: actions are shown in words ("list_accounts" as "List accounts"), amounts grouped. */
const loose = (s: string) => s.toLowerCase().replace(/[ _,]/g, '');
const shownText = (view: DetailView) => loose([view.headline ?? '', ...view.rows.map(([l, t]) => `${l} ${t}`)].join('\n'));

test('a payment: amount large, then To, Account, Reference, then every other field', () => {
  const v = showAuthorizationDetail(payment);
  assert.equal(v.title, 'Payment');
  assert.equal(v.headline, '1,250,000.5 EUR');
  assert.deepEqual(v.rows.slice(0, 3), [
    ['To', 'ACME GmbH'],
    ['Account', 'DE02 1001 0010 9307 1186 03'],
    ['Reference', 'Invoice 4711'],
  ]);
  assert.deepEqual(v.rows.slice(3), [
    ['Creditor account › Bic', 'ACMEDEFF'],
    ['Debtor account › Iban', 'DE89370400440532013000'],
  ]);
  assert.equal(paymentSummary([payment]), '1,250,000.5 EUR to ACME GmbH');
});

test('no field is ever left unshown, for known and unknown types', () => {
  const samples: AuthorizationDetail[] = [
    payment,
    { type: 'account_information', actions: ['list_accounts'], locations: ['https://a.example'], accounts: [{ iban: 'X1' }, { iban: 'X2' }], extra: true },
    { type: 'customer_information', identifier: 'c-1', nested: { deeper: { value: 42 } }, list: ['a', 'b'], nothing: null },
    { type: 'payment_initiation', creditorName: 'Only a name' },
  ];
  for (const d of samples) {
    const text = shownText(showAuthorizationDetail(d));
    for (const leaf of leaves(d)) assert.ok(text.includes(loose(leaf)), `${leaf} of ${d.type} is shown:\n${text}`);
  }
});

test('the checks: shape, common fields, limits, and payment fields', () => {
  assert.equal(authorizationDetailsProblem([payment]), undefined);
  assert.match(authorizationDetailsProblem({ type: 'x' })!, /array/);
  assert.match(authorizationDetailsProblem([])!, /at least one/);
  assert.match(authorizationDetailsProblem([{ type: '' }])!, /type is required/);
  assert.match(authorizationDetailsProblem([{ type: 'x', locations: [1] }])!, /locations must be an array of strings/);
  assert.match(authorizationDetailsProblem([{ type: 'x', identifier: 3 }])!, /identifier/);
  for (const [bad, why] of [
    [{ currency: 'eur', amount: '1.00' }, /currency/],
    [{ currency: 'EUR', amount: '01.00' }, /amount/],
    [{ currency: 'EUR', amount: '1.000000' }, /amount/],
  ] as const) {
    assert.match(authorizationDetailsProblem([{ ...payment, instructedAmount: bad }])!, why);
  }
  assert.match(authorizationDetailsProblem([{ ...payment, creditorAccount: { iban: 'de02 1001' } }])!, /IBAN/);
  assert.match(authorizationDetailsProblem([{ ...payment, creditorName: ' ' }])!, /creditorName/);
  assert.match((parseAuthorizationDetails('[') as { problem: string }).problem, /not valid JSON/);
  const big = JSON.stringify([{ type: 'x', blob: 'é'.repeat(AUTHORIZATION_DETAILS_LIMITS.maxBytes / 2) }]);
  assert.ok(big.length < AUTHORIZATION_DETAILS_LIMITS.maxBytes, 'fewer characters than the limit...');
  assert.match((parseAuthorizationDetails(big) as { problem: string }).problem, /larger than 4096 bytes/, '...but more UTF-8 bytes');
});
