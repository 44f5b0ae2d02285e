/**
 * Nod as a deployment of several nodes runs it: two provider and two entity processes (`nod
 * provider`, `nod server`) on one redis-server started here (free port, no persistence), the
 * providers behind a TCP load balancer that is their issuer, and the device app in Chromium.
 *
 *   enrollment in the app on entity node A → a CIBA request at provider node A, delegated to
 *   entity node B → the request appears live in the app (its socket is on entity A) → Approve →
 *   tokens at a poll on provider node B. Then a second flow, in which provider node A is SIGKILLed
 *   after it took the request: the approval's callback reaches the survivor through the balancer,
 *   and the poll at provider B gets the tokens.
 *
 * Skipped, with the install command, where redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { launchBrowser, phoneContext } from '../helpers/browser.ts';
import { after, before, describe, test } from '../helpers/node-test.ts';
import { startNode, type ChildNode } from '../helpers/nodes.ts';
import { tempDir } from '../helpers/provider.ts';
import { redisMissing, startRedis } from '../helpers/redis-server.ts';
import { startBalancer } from '../helpers/tcp-balancer.ts';
import { Teardown } from '../helpers/teardown.ts';
import { APP_DIR, enroll, screenshot } from '../app/harness.ts';
import { freePort } from '../entity/helpers.ts';

const bank = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('demo-bank:demo-bank-secret').toString('base64')}` };

describe('two provider and two entity processes on one Redis, with the app in Chromium', { skip: redisMissing ?? false }, () => {
  const teardown = new Teardown();
  let browser: Browser;
  let page: Page;
  let issuer: string;
  const providers: ChildNode[] = [];
  const entities: ChildNode[] = [];

  before(async () => {
    assert.ok(existsSync(join(APP_DIR, 'index.html')), 'device-app/dist is missing: run `npm run build` (npm test does it in pretest)');
    browser = teardown.add(await launchBrowser(), (b) => b.close());
    const redis = teardown.add(await startRedis(), (r) => r.stop());
    const [pa, pb, ea, eb] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const balancer = teardown.add(await startBalancer([pa, pb]), (b) => b.close());
    issuer = balancer.url;
    const dirs = [0, 1, 2, 3].map(() => teardown.add(tempDir('nod-e2e-node-'), (d) => rmSync(d, { recursive: true, force: true })));
    const store = { NOD_STORE: redis.url, NOD_STORE_PREFIX: 'e2e:' };
    const provider = (port: number, dataDir: string) =>
      startNode('provider', port, {
        ...store,
        NOD_PROVIDER_PORT: String(port),
        NOD_PROVIDER_HOST: '127.0.0.1',
        NOD_ISSUER: issuer,
        NOD_DEMO: '1',
        NOD_CIBA_INTERVAL: '1',
        // Requests are delegated to entity node B; the demo app client is registered at entity A's origin.
        NOD_AUTH_CHANNEL_URL: `http://127.0.0.1:${eb}/ciba/delegation`,
        NOD_DEVICE_APP_URL: `http://127.0.0.1:${ea}`,
        NOD_DATA_DIR: dataDir,
      });
    const entity = (port: number, dataDir: string) =>
      startNode('server', port, {
        ...store,
        NOD_SERVER_PORT: String(port),
        NOD_SERVER_HOST: '127.0.0.1',
        NOD_SERVER_URL: `http://127.0.0.1:${port}`,
        NOD_TRUSTED_ISSUERS: issuer,
        NOD_DATA_DIR: dataDir,
      });
    const started = await Promise.allSettled([provider(pa, dirs[0]!), provider(pb, dirs[1]!), entity(ea, dirs[2]!), entity(eb, dirs[3]!)]);
    for (const s of started) if (s.status === 'fulfilled') teardown.add(s.value, (n) => n.kill());
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const nodes = started.map((s) => (s as PromiseFulfilledResult<ChildNode>).value);
    providers.push(nodes[0]!, nodes[1]!);
    entities.push(nodes[2]!, nodes[3]!);
    const context = await phoneContext(browser, { locale: 'en-GB', timezoneId: 'Europe/London' });
    page = await context.newPage();
  });
  after(() => teardown.run());

  /** Starts CIBA for alice at a provider node; returns the auth_req_id. */
  async function startCiba(node: ChildNode, bindingMessage: string): Promise<string> {
    const res = await fetch(`${node.url}/bc-authorize`, {
      method: 'POST',
      headers: bank,
      body: new URLSearchParams({ scope: 'openid profile', login_hint: 'alice', binding_message: bindingMessage }),
    });
    const body = (await res.json()) as { auth_req_id?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.auth_req_id!;
  }

  /** Polls a provider node until tokens (or a final error). */
  async function pollTokens(node: ChildNode, authReqId: string): Promise<{ id_token?: string; error?: string }> {
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${node.url}/token`, {
        method: 'POST',
        headers: bank,
        body: new URLSearchParams({ grant_type: CIBA_GRANT_TYPE, auth_req_id: authReqId }),
      });
      const body = (await res.json()) as { id_token?: string; error?: string };
      if (body.error !== 'authorization_pending' && body.error !== 'slow_down') return body;
      await sleep(1100);
    }
    return { error: 'still pending after 30 polls' };
  }

  /** Waits for the request to appear live in the app, opens it and approves it. */
  async function approveInApp(bindingMessage: string, shot?: string): Promise<void> {
    const card = page.getByTestId('request-card').filter({ hasText: bindingMessage });
    await card.waitFor({ timeout: 15_000 });
    if (shot) await screenshot(page, shot);
    await card.click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  }

  /** The app's request list, its socket live (on entity node A). */
  async function openList(): Promise<void> {
    await page.goto(`${entities[0]!.url}/requests`);
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
  }

  test('enroll on entity A, request at provider A delegated to entity B, live in the app, approve, tokens at provider B', { timeout: 120_000 }, async () => {
    await enroll({ app: entities[0]!.url, provider: { issuer } }, page);
    await openList();
    const authReqId = await startCiba(providers[0]!, 'Nodes #1A2B');
    await approveInApp('Nodes #1A2B', 'nodes-01-live-request');
    const tokens = await pollTokens(providers[1]!, authReqId);
    assert.ok(tokens.id_token, `tokens at provider node B, not ${tokens.error}`);
  });

  test('provider node A is SIGKILLed during a flow: the survivors complete it', { timeout: 120_000 }, async () => {
    await openList();
    const authReqId = await startCiba(providers[0]!, 'Nodes #3C4D');
    await page.getByTestId('request-card').filter({ hasText: 'Nodes #3C4D' }).waitFor({ timeout: 15_000 });
    await providers[0]!.kill();
    await approveInApp('Nodes #3C4D');
    const tokens = await pollTokens(providers[1]!, authReqId);
    assert.ok(tokens.id_token, `tokens at provider node B after A died, not ${tokens.error}`);
  });
});
