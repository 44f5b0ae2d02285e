/**
 * NOD_TRUST_PROXY: which proxies' X-Forwarded-For names the client for the guessing limits.
 * The values it takes and refuses, and against a real provider: with `off`, a caller that
 * varies X-Forwarded-For is still one address and is blocked after the per-source limit of
 * client authentication failures; with the default (loopback), the same header is believed.
 */
import assert from 'node:assert/strict';
import { loadProviderConfig } from '../../provider/config.ts';
import { PATHS } from '../../provider/context.ts';
import { defaults } from '../../provider/defaults.ts';
import { loadServerConfig } from '../../server/config.ts';
import { parseTrustProxy } from '../../shared/http/trust_proxy.ts';
import { after, describe, it } from '../helpers/node-test.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { basicAuth } from '../helpers/sign-in.ts';

describe('NOD_TRUST_PROXY', () => {
  const running: TestProvider[] = [];
  after(() => Promise.all(running.map((p) => p.stop())));

  it('takes loopback (default), off, a hop count, and lists of addresses, ranges and names; refuses the rest with the variable named', () => {
    assert.equal(parseTrustProxy(undefined), 'loopback');
    assert.equal(parseTrustProxy(''), 'loopback');
    assert.equal(parseTrustProxy('off'), false);
    assert.equal(parseTrustProxy('1'), 1);
    assert.equal(parseTrustProxy(' 10.0.0.0/8, loopback ,fd00::/8,192.0.2.7 '), '10.0.0.0/8,loopback,fd00::/8,192.0.2.7');
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '10.0.0/8', '0x1', '::1/129', ',', '100']) {
      assert.throws(() => parseTrustProxy(bad), /NOD_TRUST_PROXY must be/, bad);
    }
    assert.equal(loadProviderConfig({}, { NOD_TRUST_PROXY: '10.0.0.0/8' }).trustProxy, '10.0.0.0/8');
    assert.equal(loadServerConfig({}, { NOD_TRUST_PROXY: 'off' }).trustProxy, false);
    assert.throws(() => loadProviderConfig({}, { NOD_TRUST_PROXY: 'yes please' }), /NOD_TRUST_PROXY/);
  });

  /** A client_credentials request of demo-service with `secret`, claiming to come from `address`. */
  function tokenRequest(p: TestProvider, secret: string, address: string): Promise<Response> {
    return fetch(new URL(PATHS.token, p.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('demo-service', secret), 'x-forwarded-for': address },
      body: 'grant_type=client_credentials',
    });
  }

  /** `times` wrong client secrets at the token endpoint, each claiming another address. */
  async function guess(p: TestProvider, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await (await tokenRequest(p, 'wrong', `198.51.100.${i + 1}`)).arrayBuffer();
  }

  it('off: X-Forwarded-For is ignored, so varying it does not escape the per-source limit; loopback: it is believed', async () => {
    const strict = await startTestProvider({ trustProxy: false });
    running.push(strict);
    const limit = defaults.clientAuthMaxFailuresPerSource;
    await guess(strict, limit);
    const blocked = await tokenRequest(strict, 'demo-service-secret', '203.0.113.9');
    assert.equal(blocked.status, 401, 'the right secret is refused: every guess came from the one socket address');
    assert.ok(blocked.headers.get('retry-after'));

    const trusting = await startTestProvider();
    running.push(trusting);
    await guess(trusting, limit);
    const fine = await tokenRequest(trusting, 'demo-service-secret', '203.0.113.9');
    assert.equal(fine.status, 200, 'each guess stood for its own address, and this one for another');
  });
});
