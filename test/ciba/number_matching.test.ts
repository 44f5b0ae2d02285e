/**
 * Number matching at the provider: a client opts in with `backchannel_number_matching`, or the
 * CIBA policy turns it on for every client; the backchannel response then carries a two-digit
 * `binding_number` (a string), and the delegation body carries the same number as an optional
 * extension field. Discovery says the provider supports it.
 */
import { test, before, after, afterEach } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { resetCibaPolicy, setCibaPolicy } from '../../provider/ciba/policy.ts';
import { validateClientMetadata } from '../../provider/models/client.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { backchannel, cibaClient, decide, poll, rp, startCiba, type CibaSetup } from './helpers.ts';

let s: CibaSetup;
let optedIn: { client_id: string; secret: string };
let plain: { client_id: string; secret: string };

before(async () => {
  s = await startCiba();
  optedIn = await cibaClient(s, 'nm-opted-in', { backchannel_number_matching: true });
  plain = await cibaClient(s, 'nm-plain');
});
after(() => s.stop());
afterEach(() => resetCibaPolicy(s.provider.ctx, ['numberMatching']));

/** Starts a request that must succeed; returns the response and its delegation. */
async function started(client: { client_id: string; secret: string }) {
  const r = await backchannel(s, client, { scope: 'openid', login_hint: 'alice', binding_message: 'NM 1' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { body: r.body, delegation: await s.entity.next() };
}

test('discovery lists backchannel_number_matching_supported: true', async () => {
  const doc = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.equal(doc.backchannel_number_matching_supported, true);
});

test('an opted-in client gets binding_number (two digits, a string) beside auth_req_id, and the entity gets the same number', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const { body, delegation } = await started(optedIn);
    assert.equal(typeof body.binding_number, 'string');
    assert.match(body.binding_number as string, /^[1-9][0-9]$/);
    assert.equal(delegation.body.binding_number, body.binding_number, 'the delegation carries the same number');
    assert.equal(delegation.body.binding_message, 'NM 1', 'beside the binding message');
    seen.add(body.binding_number as string);
  }
  assert.ok(seen.size > 1, `a new number per request (got ${[...seen]})`);
});

test('a client that did not opt in gets no binding_number, and the delegation has none', async () => {
  const { body, delegation } = await started(plain);
  assert.equal(body.binding_number, undefined);
  assert.equal('binding_number' in delegation.body, false);
});

test('the CIBA policy turns it on for every client', async () => {
  await setCibaPolicy(s.provider.ctx, { numberMatching: true });
  const { body, delegation } = await started(plain);
  assert.match(String(body.binding_number), /^[1-9][0-9]$/);
  assert.equal(delegation.body.binding_number, body.binding_number);
});

test('openid-client sees binding_number in the backchannel authentication response, and the flow completes', async () => {
  const config = await rp(s, optedIn.client_id, optedIn.secret);
  const auth = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'alice' });
  assert.match(String((auth as Record<string, unknown>).binding_number), /^[1-9][0-9]$/);
  const delegation = await s.entity.next();
  assert.equal(delegation.body.binding_number, (auth as Record<string, unknown>).binding_number);
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
  assert.ok((await poll(s, optedIn, auth.auth_req_id)).body.access_token);
});

test('client metadata: backchannel_number_matching must be true or false', () => {
  const base = { client_id: 'x', grant_types: [CIBA_GRANT_TYPE], response_types: [], client_secret: 'long-enough-secret' };
  assert.equal(validateClientMetadata({ ...base, backchannel_number_matching: true }).client.backchannel_number_matching, true);
  assert.equal('backchannel_number_matching' in validateClientMetadata(base).client, false);
  assert.throws(() => validateClientMetadata({ ...base, backchannel_number_matching: 'yes' }), /backchannel_number_matching: must be true or false/);
});
