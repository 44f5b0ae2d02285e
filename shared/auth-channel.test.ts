import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CALLBACK_STATUSES, DELEGATION_LIMITS, parseCallbackRequest, parseDelegationRequest } from './auth-channel.ts';
import { bodyParserError, InvalidRequest } from './errors.ts';

test("a delegation with Keycloak's five fields alone is accepted, extras are kept and unknown fields dropped", () => {
  const keycloak = { login_hint: ' alice ', scope: 'openid  email', is_consent_required: false };
  assert.deepEqual(parseDelegationRequest(keycloak), { login_hint: 'alice', scope: 'openid email', is_consent_required: false });
  const nod = { ...keycloak, binding_message: 'PAY 42', acr_values: 'urn:x', client_id: 'demo-bank', client_name: 'Acme Bank', extra: 1, acr: null };
  assert.deepEqual(parseDelegationRequest(nod), {
    login_hint: 'alice',
    scope: 'openid email',
    is_consent_required: false,
    binding_message: 'PAY 42',
    acr_values: 'urn:x',
    client_id: 'demo-bank',
    client_name: 'Acme Bank',
  });
});

test('a delegation missing a required field, or with a field over its limit, is invalid_request', () => {
  const ok = { login_hint: 'alice', scope: 'openid', is_consent_required: true };
  for (const bad of [
    null,
    [],
    'x',
    { ...ok, login_hint: ' ' },
    { ...ok, scope: 1 },
    { ...ok, is_consent_required: 'yes' },
    { ...ok, binding_message: 'x'.repeat(DELEGATION_LIMITS.binding_message + 1) },
    { ...ok, client_name: 7 },
  ]) {
    assert.throws(() => parseDelegationRequest(bad), InvalidRequest, JSON.stringify(bad));
  }
});

test('a callback carries exactly one of the three statuses', () => {
  for (const status of CALLBACK_STATUSES) assert.deepEqual(parseCallbackRequest({ status }), { status });
  for (const bad of [undefined, {}, { status: 'succeed' }, { status: ['SUCCEED'] }]) assert.throws(() => parseCallbackRequest(bad), InvalidRequest);
});

test('body-parser failures are the client’s 400/413, anything else is not theirs', () => {
  assert.equal(bodyParserError({ type: 'entity.too.large', status: 413 })?.status, 413);
  assert.equal(bodyParserError({ type: 'entity.parse.failed', status: 400 })?.error, 'invalid_request');
  assert.equal(bodyParserError({ type: 'charset.unsupported', status: 415 })?.status, 400);
  assert.equal(bodyParserError(new TypeError('bug')), undefined);
  assert.equal(bodyParserError(undefined), undefined);
});
