import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyStore, SIGNING_ALGS } from '../../provider/keys/keystore.ts';
import { LoopBusy } from '../../provider/keys/loop_busy.ts';
import { loadServerSecret } from '../../provider/keys/secret.ts';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { RedisStore } from '../../shared/store/redis/redis-store.ts';
import type { Store } from '../../shared/store/store.ts';
import { tempDir } from '../helpers/provider.ts';
import { redisMissing, startRedis } from '../helpers/redis-server.ts';

const settingsOf = (store: Store) => ({ settings: store.collection<Record<string, unknown>>('Setting'), pubsub: store.pubsub });

/** Runs `fn` with a lowdb store in a fresh data directory. */
async function withLowdb(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await LowdbStore.open({ dir, name: 'provider', sweepIntervalMs: 0 });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const busy of [false, true]) {
  test(`tokens the key store signs verify with jose against the published JWKS, for every algorithm (event loop ${busy ? 'busy: ES256 on the thread pool' : 'idle: ES256 inline'})`, async () => {
    await withLowdb(async (store) => {
      const keys = await KeyStore.open(settingsOf(store), undefined, { busy });
      const jwks = createLocalJWKSet(keys.jwks());
      const iat = Math.floor(Date.now() / 1000);
      for (const alg of SIGNING_ALGS) {
        // Where it is signed: a signature of the thread pool cannot be back before the loop's next I/O turn.
        let settled = false;
        const signing = keys.sign({ iat }, alg).then(() => (settled = true));
        for (let i = 0; i < 10; i++) await Promise.resolve();
        assert.equal(settled, alg === 'ES256' && !busy, `${alg} was signed ${settled ? 'inline' : 'on the thread pool'}`);
        await signing;
        const jwt = await keys.sign({ iss: 'https://nod.test', sub: 'ünïcode ✓', iat, exp: iat + 60 }, alg, 'at+jwt');
        const header = decodeProtectedHeader(jwt);
        assert.equal(header.alg, alg);
        assert.equal(header.typ, 'at+jwt');
        assert.ok(keys.jwks().keys.some((k) => k.kid === header.kid && k.alg === alg));
        const { payload } = await jwtVerify(jwt, jwks, { issuer: 'https://nod.test', algorithms: [alg], typ: 'at+jwt' });
        assert.equal(payload.sub, 'ünïcode ✓');
        // A changed payload no longer verifies.
        const [h, , sig] = jwt.split('.');
        const forged = `${h}.${Buffer.from(JSON.stringify({ iss: 'https://nod.test', sub: 'mallory', iat, exp: iat + 60 })).toString('base64url')}.${sig}`;
        await assert.rejects(jwtVerify(forged, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
      }
    });
  });
}

test('on a busy event loop, many ES256 signatures at once come back from the thread pool each valid and each its own', async () => {
  await withLowdb(async (store) => {
    const keys = await KeyStore.open(settingsOf(store), undefined, { busy: true });
    const jwks = createLocalJWKSet(keys.jwks());
    const iat = Math.floor(Date.now() / 1000);
    const jwts = await Promise.all(Array.from({ length: 200 }, (_, i) => keys.sign({ iss: 'https://nod.test', sub: `u${i}`, iat, exp: iat + 60 }, 'ES256')));
    for (const [i, jwt] of jwts.entries()) {
      const { payload } = await jwtVerify(jwt, jwks, { issuer: 'https://nod.test', algorithms: ['ES256'] });
      assert.equal(payload.sub, `u${i}`);
    }
    assert.equal(new Set(jwts.map((j) => j.split('.')[2])).size, jwts.length);
  });
});

test('LoopBusy: idle while the loop waits, busy while callbacks hold it, idle again once it waits', async () => {
  const loop = new LoopBusy(0.9, 20);
  await sleep(40);
  assert.equal(loop.busy, false);
  const until = performance.now() + 60;
  while (performance.now() < until) {
    // A callback that holds the loop, as requests arriving back to back do.
  }
  assert.equal(loop.busy, true);
  // Asked again within the window: the same reading, not a new one.
  assert.equal(loop.busy, true);
  await sleep(60);
  assert.equal(loop.busy, false);
});

test('keys and the server secret left in files by an older version are imported once, so an upgrade rotates nothing', async () => {
  await withLowdb(async (store, dir) => {
    // What an older version wrote: keys.json and secret.key in the data directory.
    const old = await KeyStore.open(settingsOf(store));
    const oldKeys = (await store.collection<Record<string, unknown>>('Setting').find('signing-keys'))!;
    await store.collection('Setting').delete('signing-keys');
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(oldKeys));
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(join(dir, 'secret.key'), secret);
    const upgraded = await KeyStore.open(settingsOf(store), dir);
    assert.deepEqual(
      upgraded.jwks().keys.map((k) => k.kid),
      old.jwks().keys.map((k) => k.kid),
    );
    assert.equal((await loadServerSecret(store.collection('Setting'), dir)).toString('base64url'), secret);
    // From now on the store is what counts.
    writeFileSync(join(dir, 'secret.key'), randomBytes(32).toString('base64url'));
    assert.equal((await loadServerSecret(store.collection('Setting'), dir)).toString('base64url'), secret);
  });
});

for (const kind of ['lowdb', 'redis'] as const) {
  test(`${kind}: two nodes publish one JWKS; a rotation on one is followed by the other`, {
    skip: kind === 'redis' ? (redisMissing ?? false) : false,
  }, async () => {
    const redis = kind === 'redis' ? await startRedis() : undefined;
    const dir = tempDir();
    const stores: Store[] = [];
    try {
      if (redis) {
        const prefix = `k${randomBytes(4).toString('hex')}:`;
        stores.push(await RedisStore.open({ url: redis.url, prefix, name: 'provider' }), await RedisStore.open({ url: redis.url, prefix, name: 'provider' }));
      } else {
        const one = await LowdbStore.open({ dir, name: 'provider', sweepIntervalMs: 0 });
        stores.push(one, one);
      }
      // Both nodes start at once: one set of keys is made, not two.
      const [a, b] = await Promise.all(stores.map((s) => KeyStore.open(settingsOf(s))));
      assert.deepEqual(a!.jwks(), b!.jwks());
      const [sa, sb] = await Promise.all(stores.map((s) => loadServerSecret(s.collection('Setting'))));
      assert.deepEqual(sa, sb);
      const before = a!.jwks().keys.length;
      const fresh = await a!.rotate();
      const deadline = Date.now() + 3000;
      while (!b!.jwks().keys.some((k) => k.kid === fresh[0])) {
        assert.ok(Date.now() < deadline, 'the other node did not follow the rotation');
        await sleep(20);
      }
      assert.equal(b!.jwks().keys.length, before * 2);
      // The other node signs with the new keys and verifies tokens of the first.
      const jwt = await b!.sign({ iss: 'x', exp: Math.floor(Date.now() / 1000) + 60 }, 'ES256');
      assert.ok(fresh.includes(decodeProtectedHeader(jwt).kid!));
      await a!.verify(jwt, { issuer: 'x' });
    } finally {
      for (const s of new Set(stores)) await s.close();
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
