/**
 * The shown_hash's canonical form is a contract between the app and the entity (and any other
 * implementation of either): pinned here with a fixed request and its expected hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DeviceRequest } from './entity-api.ts';
import { passkeyChallengeText, shownForm, shownHash } from './shown.ts';

const request: DeviceRequest = {
  id: 'req-1',
  status: 'pending',
  binding_message: 'PAY 4711',
  scope: 'openid profile',
  scopes: [{ scope: 'openid', description: 'Sign you in' }],
  acr_values: 'phr',
  is_consent_required: false,
  client: 'Acme Bank',
  client_id: 'demo-bank',
  issuer: 'https://id.example.com',
  created_at: 1_700_000_000,
  expires_at: 1_700_000_120,
  authorization_details: [{ type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '1250.00' }, creditorName: 'ACME GmbH' }],
};

const EXPECTED_FORM =
  '{"acr_values":"phr","authorization_details":[{"creditorName":"ACME GmbH","instructedAmount":{"amount":"1250.00","currency":"EUR"},"type":"payment_initiation"}],' +
  '"binding_message":"PAY 4711","client":"Acme Bank","client_id":"demo-bank","issuer":"https://id.example.com","request_id":"req-1","scope":"openid profile"}';

test('covers exactly the shown members, canonicalized, hashed with SHA-256, base64url', async () => {
  assert.deepEqual(Object.keys(shownForm(request)).sort(), [
    'acr_values',
    'authorization_details',
    'binding_message',
    'client',
    'client_id',
    'issuer',
    'request_id',
    'scope',
  ]);
  const expected = createHash('sha256').update(EXPECTED_FORM).digest('base64url');
  assert.equal(await shownHash(request), expected);
});

test('changes with anything shown, not with what is not shown (status, times, scope words)', async () => {
  const base = await shownHash(request);
  for (const changed of [
    { ...request, authorization_details: [{ ...request.authorization_details![0]!, creditorName: 'Mallory Ltd' }] },
    { ...request, binding_message: 'PAY 4712' },
    { ...request, client: 'Acme Bank Ltd' },
    { ...request, id: 'req-2' },
  ]) {
    assert.notEqual(await shownHash(changed), base);
  }
  assert.equal(await shownHash({ ...request, status: 'approved', expires_at: 1, scopes: [] }), base);
  const { binding_message: _b, ...noMessage } = request;
  assert.notEqual(await shownHash(noMessage), base, 'an absent member is absent, not empty');
});

test('the passkey challenge is SHA-256 of {nonce, request_id, shown_hash} in canonical form', async () => {
  const input = { nonce: 'n0nce', request_id: 'req-1', shown_hash: 'abc' };
  assert.equal(await passkeyChallengeText(input), createHash('sha256').update('{"nonce":"n0nce","request_id":"req-1","shown_hash":"abc"}').digest('base64url'));
});
