/**
 * Many decisions whose callbacks the provider is slow to answer: the entity keeps at most
 * callbackMaxConcurrent attempts open at once, and every callback is delivered once the provider
 * answers again.
 */
import assert from 'node:assert/strict';
import { defaults } from '../../server/defaults.ts';
import { after, before, test } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import { delegate, startKeycloakIssuer, startTestServer } from './helpers.ts';

const teardown = new Teardown();
let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
before(async () => {
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
});
after(() => teardown.run());

test('callbacks to a slow provider are bounded: at most callbackMaxConcurrent in flight, all delivered afterwards', async () => {
  const requests = defaults.callbackMaxConcurrent + 18;
  const s = teardown.add(await startTestServer({ trustedIssuers: [keycloak.issuer], autoApprove: true, demo: true }), (x) => x.stop());
  let release!: () => void;
  keycloak.state.holdCallbacks = new Promise((resolve) => (release = resolve));
  const ids: string[] = [];
  for (let i = 0; i < requests; i++) {
    const res = await delegate(s.delegationUrl, await keycloak.delegationToken(), { login_hint: 'alice', scope: 'openid', is_consent_required: false });
    assert.equal(res.status, 201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const pending = new Set(ids);
  const delivered = new Promise<void>((resolve) =>
    s.ctx.events.on('request.delivered', (e: { id: string }) => {
      pending.delete(e.id);
      if (pending.size === 0) resolve();
    }),
  );
  // Every request is decided at once; the slots fill up while the provider holds its answers.
  while (keycloak.state.callbacksInFlight < defaults.callbackMaxConcurrent) await new Promise((r) => setTimeout(r, 20));
  release();
  keycloak.state.holdCallbacks = undefined;
  await delivered;
  assert.equal(keycloak.state.maxCallbacksInFlight, defaults.callbackMaxConcurrent, 'never more attempts at once than the slots');
  assert.equal(keycloak.callbacks.length, requests, 'every decision called back once');
});
