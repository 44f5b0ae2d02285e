import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { runAdmin } from '../../bin/admin.ts';
import { DataDirLockedError } from '../../shared/store/lock.ts';
import { startTestProvider, tempDir } from '../helpers/provider.ts';
import { redisMissing, startRedis } from '../helpers/redis-server.ts';

const env = (dir: string) => ({ ...process.env, NOD_DATA_DIR: dir });

test('admin adds, lists, locks out and removes users', async () => {
  const dir = tempDir();
  try {
    assert.match(await runAdmin(['users', 'add', 'carol', '--password', 'correct-horse', '--email', 'carol@example.com'], env(dir)), /added user carol/);
    await assert.rejects(runAdmin(['users', 'add', 'carol', '--password', 'correct-horse'], env(dir)), /already exists/);
    await assert.rejects(runAdmin(['users', 'add', 'dave', '--password', 'short'], env(dir)), /at least 8/);
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^carol\t.*carol@example\.com/m);
    assert.match(await runAdmin(['users', 'remove', 'carol'], env(dir)), /removed user carol/);
    assert.equal(await runAdmin(['users', 'list'], env(dir)), '(no users)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('admin refuses a bad client definition with a message naming the field', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'client.json');
    writeFileSync(file, JSON.stringify({ client_id: 'x', grant_types: ['authorization_code'], redirect_uris: ['not a url'] }));
    await assert.rejects(runAdmin(['clients', 'add', file], env(dir)), (e: { description?: string }) =>
      /redirect_uris: "not a url" is not an absolute URL/.test(e.description ?? ''),
    );
    writeFileSync(file, JSON.stringify({ client_id: 'svc', grant_types: ['client_credentials'], scope: 'api' }));
    const out = await runAdmin(['clients', 'add', file], env(dir));
    assert.match(out, /saved client svc\nclient_secret \(shown once\): \S{40,}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('admin refuses to touch the data directory while a provider runs', async () => {
  const p = await startTestProvider();
  try {
    await assert.rejects(runAdmin(['users', 'add', 'eve', '--password', 'longenough'], env(p.dataDir)), DataDirLockedError);
  } finally {
    await p.stop();
  }
});

test('keys, users, clients and issued tokens survive a restart; rotated keys stay published', async () => {
  const dir = tempDir();
  try {
    let p = await startTestProvider({ dataDir: dir });
    const issuer = p.issuer;
    const jwksBefore = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    const cfg = await oidc.discovery(new URL(issuer), 'demo-service', 'demo-service-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    const { access_token } = await oidc.clientCredentialsGrant(cfg, { scope: 'api' });
    await p.close();

    await runAdmin(['users', 'add', 'carol', '--password', 'correct-horse'], env(dir));
    assert.match(await runAdmin(['keys', 'rotate'], env(dir)), /new signing keys/);

    p = await startTestProvider({ dataDir: dir, issuer, port: Number(new URL(issuer).port) });
    const jwksAfter = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    for (const k of jwksBefore.keys)
      assert.ok(
        jwksAfter.keys.some((a) => a.kid === k.kid),
        `retired key ${k.kid} no longer published`,
      );
    assert.equal(jwksAfter.keys.length, jwksBefore.keys.length * 2);
    // A token signed before the rotation still verifies against the published JWKS and introspects as active.
    await jwtVerify(access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer });
    const cfg2 = await oidc.discovery(new URL(issuer), 'demo-service', 'demo-service-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    assert.equal((await oidc.tokenIntrospection(cfg2, access_token)).active, true);
    // New tokens are signed with the new key.
    const fresh = await oidc.clientCredentialsGrant(cfg2, { scope: 'api' });
    const kid = JSON.parse(Buffer.from(fresh.access_token.split('.')[0]!, 'base64url').toString()).kid as string;
    assert.ok(!jwksBefore.keys.some((k) => k.kid === kid), 'new token signed with a retired key');
    assert.match(await runAdmin(['users', 'list'], env(dir)).catch((e: Error) => e.message), /in use/);
    await p.close();
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^alice\t/m);
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^carol\t/m);
    assert.match(await runAdmin(['clients', 'list'], env(dir)), /^demo-web\t/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ciba-policy: set validates and persists, show says where each value comes from, the provider answers by it', async () => {
  const dir = tempDir();
  const { Entity, backchannel } = await import('../ciba/helpers.ts');
  const entity = await Entity.start();
  try {
    const shown = await runAdmin(['ciba-policy', 'show'], { ...env(dir), NOD_CIBA_INTERVAL: '7' });
    assert.match(shown, /^delivery_mode\tpoll\tdefault/m);
    assert.match(shown, /^expires_in\t120\tdefault/m);
    assert.match(shown, /^interval\t7\tenvironment NOD_CIBA_INTERVAL/m);
    assert.match(shown, /^hints\tlogin_hint,login_hint_token,id_token_hint\tdefault/m);

    const refusedWith = (args: string[], message: RegExp) => assert.rejects(runAdmin(['ciba-policy', 'set', ...args], env(dir)), message);
    await refusedWith(['--delivery-mode', 'email'], /--delivery-mode email: must be one of poll, ping, push/);
    await refusedWith(['--expires-in', '0'], /must be a whole number of seconds from 1 to 600/);
    await refusedWith(['--expires-in', '601'], /expires_in must be an integer from 1 to 600/);
    await refusedWith(['--interval', 'soon'], /--interval soon: must be a whole number of seconds, at least 1/);
    await refusedWith(['--hints', 'login_hint,phone'], /one or more of login_hint, login_hint_token, id_token_hint/);
    await refusedWith([], /needs at least one of/);

    const saved = await runAdmin(['ciba-policy', 'set', '--expires-in', '90', '--interval', '3', '--hints', 'id_token_hint,login_hint_token'], env(dir));
    assert.match(saved, /^expires_in\t90\tset with ciba-policy set/m);
    assert.match(saved, /^hints\tlogin_hint_token,id_token_hint\tset/m);

    // The provider started on that directory answers by the stored policy (demo-bank registers poll and no lifetimes).
    const p = await startTestProvider({ dataDir: dir, authChannelUrl: entity.url });
    entity.issuer = p.issuer;
    const bank = { client_id: 'demo-bank', secret: 'demo-bank-secret' };
    try {
      const setup = { provider: p, entity, issuer: p.issuer, stop: async () => {} };
      const off = await backchannel(setup, bank, { scope: 'openid', login_hint: 'alice' });
      assert.equal(off.body.error, 'invalid_request');
      assert.match(String(off.body.error_description), /login_hint is not accepted by this provider's CIBA policy/);
      const alice = (await p.ctx.models.users.findBy('username', 'alice'))[0]!.value;
      const idToken = await p.ctx.keys.sign({ iss: p.issuer, aud: bank.client_id, sub: alice.sub, iat: 1, exp: 2 }, 'RS256');
      const ok = await backchannel(setup, bank, { scope: 'openid', id_token_hint: idToken });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.expires_in, 90);
      assert.equal(ok.body.interval, 3);
    } finally {
      await p.close();
    }

    // A ping default: the command names CIBA clients it leaves without a notification endpoint.
    const file = join(dir, 'modeless.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_id: 'modeless',
        client_secret: 'modeless-secret',
        grant_types: ['urn:openid:params:grant-type:ciba'],
        response_types: [],
        scope: 'openid',
      }),
    );
    await runAdmin(['clients', 'add', file], env(dir));
    assert.match(
      await runAdmin(['ciba-policy', 'set', '--delivery-mode', 'ping'], env(dir)),
      /warning: ping mode needs a backchannel_client_notification_endpoint; .*: modeless$/m,
    );
    assert.match(await runAdmin(['ciba-policy', 'reset'], env(dir)), /^delivery_mode\tpoll\tdefault/m);
  } finally {
    await entity.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with Redis, the admin command works while the provider runs: users, keys and the CIBA policy take effect at once', {
  skip: redisMissing ?? false,
}, async () => {
  const redis = await startRedis();
  const dir = tempDir();
  const prefix = `admin${Date.now()}:`;
  const store = { url: redis.url, prefix };
  const p = await startTestProvider({ dataDir: dir, store }).catch(async (e) => {
    await redis.stop();
    throw e;
  });
  try {
    const redisEnv = { ...env(dir), NOD_STORE: redis.url, NOD_STORE_PREFIX: prefix };
    assert.match(await runAdmin(['users', 'add', 'carol', '--password', 'correct-horse'], redisEnv), /added user carol/);
    assert.equal((await p.ctx.models.users.findBy('username', 'carol')).length, 1, 'the running provider sees the new user');
    const before = ((await (await fetch(`${p.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const rotated = await runAdmin(['keys', 'rotate'], redisEnv);
    const fresh = /new signing keys: (\S+),/.exec(rotated)![1]!;
    const deadline = Date.now() + 5000;
    let after: string[] = [];
    while (!after.includes(fresh)) {
      assert.ok(Date.now() < deadline, 'the running provider did not publish the rotated key');
      await new Promise((r) => setTimeout(r, 50));
      after = ((await (await fetch(`${p.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    }
    for (const kid of before) assert.ok(after.includes(kid), 'a retired key is still published');
    await runAdmin(['ciba-policy', 'set', '--interval', '7'], redisEnv);
    const { cibaPolicy } = await import('../../provider/ciba/policy.ts');
    assert.equal((await cibaPolicy(p.ctx)).interval, 7);
  } finally {
    await p.stop();
    await redis.stop();
  }
});
